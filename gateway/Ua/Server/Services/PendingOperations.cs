using System.Diagnostics;

namespace Neokernel.Gateway.Ua.Server;

/// <summary>
/// A request whose operations (a Call's methods, a Write's values) complete one by one, maybe later
/// on the same loop: one object per request, counting the operations still out. The count starts
/// one above them, so operations completing while the service still starts the others cannot send
/// the response early. Each operation completes once; a second completion is ignored.
/// </summary>
internal abstract class PendingOperations
{
    private readonly bool[] completed;
    private int outstanding;

    protected PendingOperations(int count)
    {
        completed = new bool[count];
        outstanding = count + 1;
    }

    /// <summary>The service has started every operation: the response goes once the last has completed.</summary>
    public void StartedAll() => Release();

    /// <summary>True the first time operation <paramref name="index"/> completes: record its result, then <see cref="Release"/>.</summary>
    protected bool TryMarkCompleted(int index)
    {
        if (completed[index])
        {
            return false;
        }

        completed[index] = true;
        return true;
    }

    protected void Release()
    {
        Debug.Assert(outstanding > 0, "a request completes once");
        if (--outstanding == 0)
        {
            OnAllCompleted();
        }
    }

    /// <summary>Every operation has completed: answer the request.</summary>
    protected abstract void OnAllCompleted();
}
