using System.Runtime.CompilerServices;

namespace Neokernel.Cli.Tests;

/// <summary>
/// The runs of these tests keep their retain stores in a directory of this test process's own
/// ($NEOKERNEL_STATE_DIR, which run reads when no --state-dir is given), not in the user's state
/// directory: a setpoint one test's run retained must not be restored by another's, nor by a run
/// of the demo afterwards.
/// </summary>
internal static class StateDirectoryIsolation
{
    [ModuleInitializer]
    internal static void UseATemporaryStateDirectory() =>
        Environment.SetEnvironmentVariable("NEOKERNEL_STATE_DIR", Directory.CreateTempSubdirectory("neokernel-state-").FullName);
}
