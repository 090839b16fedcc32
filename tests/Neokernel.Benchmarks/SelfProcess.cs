using System.Diagnostics;

namespace Neokernel.Benchmarks;

/// <summary>Starts this harness again as a peer process, whether it runs as its apphost or under <c>dotnet</c>.</summary>
internal static class SelfProcess
{
    public static ProcessStartInfo StartInfo(params string[] arguments)
    {
        var self = Environment.ProcessPath ?? throw new InvalidOperationException("cannot tell which executable this is, so cannot start the peer");
        var info = new ProcessStartInfo(self) { UseShellExecute = false };
        if (Path.GetFileNameWithoutExtension(self) == "dotnet")
        {
            info.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "Neokernel.Benchmarks.dll"));
        }

        foreach (var argument in arguments)
        {
            info.ArgumentList.Add(argument);
        }

        info.Environment["DOTNET_EnableDiagnostics"] = "0";
        return info;
    }
}
