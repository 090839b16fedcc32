namespace Neokernel.Rt.Linux.Isolation;

/// <summary>
/// The control thread of process isolation: it spawns service host processes, queues their
/// grants in the socket each inherits, reads what they say, applies their limits, and watches
/// their pidfds, so that none of this (each a system call that can take milliseconds: fork/exec,
/// cgroup writes, waitpid) runs on the kernel's event loop. It waits in its own
/// <see cref="LoopReactor"/>; jobs come in with <see cref="Post"/>, and results go to the kernel's
/// loop with the post function it was given. One thread for every child of a kernel.
/// </summary>
internal sealed class ProcessControl : IDisposable
{
    /// <summary>Longest wait before the thread looks whether it was disposed.</summary>
    private const long WaitSliceNs = 200_000_000;

    private readonly LoopReactor reactor = new();
    private readonly Thread thread;
    private volatile bool stopping;

    public ProcessControl(Action<Action> postToKernel)
    {
        ArgumentNullException.ThrowIfNull(postToKernel);
        PostToKernel = postToKernel;
        thread = new Thread(Run) { IsBackground = true, Name = "neokernel-process-control" };
        thread.Start();
    }

    /// <summary>Hands a result to the kernel's event loop (runs there, in order with its other events).</summary>
    public Action<Action> PostToKernel { get; }

    /// <summary>The control thread's reactor: register descriptors from jobs (on the control thread) only.</summary>
    public LoopReactor Reactor => reactor;

    /// <summary>Whether the caller is the control thread.</summary>
    public bool IsControlThread => Environment.CurrentManagedThreadId == thread.ManagedThreadId;

    /// <summary>Runs <paramref name="job"/> on the control thread. Thread-safe.</summary>
    public void Post(Action job) => reactor.Post(job);

    /// <summary>Runs <paramref name="job"/> on the control thread and waits for it, at most <paramref name="timeout"/>. False: it did not finish in time.</summary>
    public bool Run(Action job, TimeSpan timeout)
    {
        if (IsControlThread)
        {
            job();
            return true;
        }

        // Not disposed: a job that outlives the timeout still sets it.
        var done = new ManualResetEventSlim();
        Post(() =>
        {
            try
            {
                job();
            }
            finally
            {
                done.Set();
            }
        });
        return done.Wait(timeout);
    }

    public void Dispose()
    {
        stopping = true;
        reactor.Wake();
        if (!IsControlThread)
        {
            thread.Join(TimeSpan.FromSeconds(5));
        }
    }

    private void Run()
    {
        while (!stopping)
        {
            try
            {
                reactor.WaitUntil(LinuxTime.MonotonicNs() + WaitSliceNs);
            }
            catch (Exception exception) when (exception is not OutOfMemoryException)
            {
                // A job that throws has already reported what it could; the thread serves the other children on.
                Console.Error.WriteLine($"neokernel: process control: {exception.Message}");
            }
        }

        reactor.Dispose();
    }
}
