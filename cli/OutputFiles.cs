namespace Neokernel.Cli;

/// <summary>
/// The files a run writes at its end (<c>--trace-jsonl</c>, <c>--trace-chrome</c>,
/// <c>--quality-log</c>), opened before it starts: a missing directory, a directory or a place
/// nobody may write is said at once, with exit code 1, and the run is not lost at its end. A write
/// that still fails at the end (a full device) is said as a message, not a stack trace.
/// </summary>
internal sealed class OutputFiles : IDisposable
{
    private OutputFiles(OutputFile? traceJsonl, OutputFile? traceChrome, OutputFile? qualityLog)
    {
        TraceJsonl = traceJsonl;
        TraceChrome = traceChrome;
        QualityLog = qualityLog;
    }

    public OutputFile? TraceJsonl { get; }

    public OutputFile? TraceChrome { get; }

    public OutputFile? QualityLog { get; }

    /// <summary>Opens (creates or truncates) every path given; null when one cannot be, its reason written to <paramref name="error"/>.</summary>
    public static OutputFiles? Open(string? traceJsonl, string? traceChrome, string? qualityLog, TextWriter error)
    {
        var opened = new List<FileStream>(3);
        try
        {
            return new OutputFiles(Create(traceJsonl, "--trace-jsonl", opened), Create(traceChrome, "--trace-chrome", opened), Create(qualityLog, "--quality-log", opened));
        }
        catch (OutputFileException exception)
        {
            opened.ForEach(s => s.Dispose());
            error.WriteLine($"neokernel: {exception.Message}");
            return null;
        }
    }

    /// <summary>Writes one output at the end; false (and a message) when the write fails.</summary>
    public static bool TryWrite(OutputFile? file, Action<Stream> write, TextWriter error)
    {
        if (file is null)
        {
            return true;
        }

        try
        {
            write(file.Stream);
            file.Stream.Flush();
            return true;
        }
        catch (IOException exception)
        {
            error.WriteLine($"neokernel: {file.Option} {file.Path}: the write failed: {exception.Message}");
            return false;
        }
    }

    public void Dispose()
    {
        TraceJsonl?.Stream.Dispose();
        TraceChrome?.Stream.Dispose();
        QualityLog?.Stream.Dispose();
    }

    private static OutputFile? Create(string? path, string option, List<FileStream> opened)
    {
        if (path is null)
        {
            return null;
        }

        if (Directory.Exists(path))
        {
            throw new OutputFileException($"{option} {path}: is a directory; give a file name, e.g. {Path.Combine(path, "out.json")}");
        }

        try
        {
            var stream = new FileStream(path, FileMode.Create, FileAccess.Write, FileShare.Read);
            opened.Add(stream);
            return new OutputFile(option, path, stream);
        }
        catch (DirectoryNotFoundException)
        {
            throw new OutputFileException($"{option} {path}: its directory {Path.GetDirectoryName(Path.GetFullPath(path))} does not exist; create it or give another path");
        }
        catch (UnauthorizedAccessException)
        {
            throw new OutputFileException($"{option} {path}: not allowed to write there; give a path you may write");
        }
        catch (IOException exception)
        {
            throw new OutputFileException($"{option} {path}: cannot be created: {exception.Message}");
        }
    }

    /// <summary>One output: the option that named it, its path as given, its open stream.</summary>
    internal sealed record OutputFile(string Option, string Path, FileStream Stream);

    private sealed class OutputFileException(string message) : Exception(message);
}
