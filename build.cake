// Neokernel build: ./build.sh --target=<Target>  (default: Test)
//
//   Clean       delete artifacts/ and every project's bin/ and obj/
//   Restore     dotnet restore of the solution
//   Build       Release build of the whole solution (warnings are errors)
//   Test        every test project; TRX in artifacts/test-results; fails on a failed test or on no tests
//   Publish     NativeAOT neokernel for linux-x64 and linux-arm64 into artifacts/publish/<rid>/; fails on any warning
//   SmokeArm64  runs both binaries (arm64 under qemu) with SmokeArguments and compares what they print
//   Bench       benchmark harness in Release: IPC, one-way command delivery (ring + doorbell vs a socket),
//               restart time of a killed driver under the NativeAOT neokernel (exit detection split into
//               the OS's part and ours), loop latency with NativeAOT neokernel-latency and of the demo's
//               isolated controller beside an allocating TCP service, each next to cyclictest; the block
//               network's cycle (the heated-tank cascade) next to the same cascade written by hand; report in
//               docs/PERFORMANCE.md (not part of CI; run as root; ~11 minutes). --bench-arguments="..."
//               passes options to the harness (e.g. "--restart-kills 5 --skip latency" while developing)
//   TornReadArm64  the region concurrency test's logic (neokernel-torn-read, NativeAOT linux-arm64)
//               for TornReadSeconds under qemu: no reader may copy a torn region
//   KillSoak    kill -9 the demo's level-sensor process 100 times (NativeAOT); the supervisor restarts it
//   Fuzz        coverage-guided fuzzing of the Modbus decoders, the OPC UA transport, the fault-schedule parser and the campaign reader (SharpFuzz + afl-fuzz), each target for an hour;
//               --fuzz-seconds=N changes that; a crash or a hang fails it and is kept in artifacts/fuzz/findings/
//   FuzzSlice   the same for 30 s a target (CI); --fuzz-targets=ua-chunk,... limits either to those targets
//   OpcUaGenerate  regenerates gateway/Ua/Generated (OPC UA identifiers, namespace 0, service structures) with tools/OpcUaGen from
//               the normative files in --opcua-spec (default ../shared/opcua-spec); the output is checked in
//   CI          Build + Test + Publish + SmokeArm64 + TornReadArm64 + KillSoak + FuzzSlice

using System.Text.RegularExpressions;
using System.Xml.Linq;

// The commands both smoke-test binaries run: the demo on virtual time, and its loop over Modbus TCP
// on the virtual network. Each run must print `trace digest: <16 hex>` and the two digests must be
// equal: the simulation is bit-identical on x64 and arm64 for the same seed.
var SmokeArguments = new[]
{
    "sim manifests/systems/tank-demo.yaml --seed 7 --duration 60s",
    "sim manifests/systems/tank-modbus.yaml --seed 7 --duration 60s",
};

var target = Argument("target", "Test");
var configuration = Argument("configuration", "Release");
// Extra options for the benchmark harness, e.g. "--restart-kills 5 --latency-pairs 3" while developing.
var benchArguments = Argument("bench-arguments", "");
// How long the Fuzz target runs each fuzz target; FuzzSlice runs each for FuzzSliceSeconds.
var fuzzSeconds = Argument("fuzz-seconds", 3600);
const int FuzzSliceSeconds = 30;
// The OPC Foundation's normative files OpcUaGenerate reads; only that target needs them.
var opcUaSpec = Argument("opcua-spec", "../shared/opcua-spec");
const string OpcUaGenProject = "tools/OpcUaGen";
const string OpcUaGeneratedDir = "gateway/Ua/Generated";

const string Solution = "Neokernel.slnx";
const string CliProject = "cli/Neokernel.Cli.csproj";
const string CliBinary = "neokernel";
const string BenchProject = "tests/Neokernel.Benchmarks/Neokernel.Benchmarks.csproj";
const string LatencyProject = "rt-bench/Neokernel.Latency.csproj";
const string LatencyBinary = "neokernel-latency";
const string TornReadProject = "tests/Neokernel.TornReadStress/Neokernel.TornReadStress.csproj";
const string TornReadBinary = "neokernel-torn-read";
// How long neokernel-torn-read runs under qemu: bounded, the whole task stays under a minute and a half.
const int TornReadSeconds = 10;
const string FuzzProject = "tests/Neokernel.Fuzz/Neokernel.Fuzz.csproj";
// One target per decoder (tests/Neokernel.Fuzz/FuzzTargets.cs); each seeds from corpus/<target>/.
var allFuzzTargets = new[] { "tcp-frame", "rtu-frame", "slave-request", "master-response", "ua-chunk", "fault-schedule", "campaign-file" };
// --fuzz-targets=ua-chunk,tcp-frame fuzzes only those (Fuzz and FuzzSlice); default: every one.
var fuzzTargets = FuzzTargetsNamed(Argument("fuzz-targets", string.Join(",", allFuzzTargets)), allFuzzTargets);
// The assemblies SharpFuzz instruments: the Modbus decoders, the OPC UA transport, the fault-schedule parser (rt) and the campaign reader (cli).
var fuzzAssemblies = new[] { "Neokernel.Fieldbus.dll", "Neokernel.Gateway.dll", "Neokernel.Rt.dll", "neokernel.dll" };
var runtimes = new[] { "linux-x64", "linux-arm64" };

var artifacts = MakeAbsolute(Directory("artifacts"));
var testResults = artifacts.Combine("test-results");
var logs = artifacts.Combine("logs");
DirectoryPath PublishDir(string rid) => artifacts.Combine("publish").Combine(rid);
const string Arm64Sysroot = "/usr/aarch64-linux-gnu";
var smokeTimeout = TimeSpan.FromMinutes(10);

// ---------------------------------------------------------------------------------------------

Task("Clean")
    .Description("Deletes artifacts/ and the bin/ and obj/ of every project in the solution.")
    .Does(() =>
{
    var directories = new List<DirectoryPath> { artifacts };
    foreach (var project in SolutionProjects())
    {
        directories.Add(project.GetDirectory().Combine("bin"));
        directories.Add(project.GetDirectory().Combine("obj"));
    }

    foreach (var directory in directories.Where(DirectoryExists))
    {
        DeleteDirectory(directory, new DeleteDirectorySettings { Recursive = true, Force = true });
    }

    Information($"Clean: removed artifacts/ and bin/, obj/ of {SolutionProjects().Count} projects");
});

Task("Restore")
    .Description("Restores the solution's packages.")
    .Does(() =>
{
    DotNetRestore(Solution);
});

Task("Build")
    .Description("Release build of the whole solution.")
    .IsDependentOn("Restore")
    .Does(() =>
{
    DotNetBuild(Solution, new DotNetBuildSettings
    {
        Configuration = configuration,
        NoRestore = true,
        MSBuildSettings = new DotNetMSBuildSettings().SetMaxCpuCount(0),
    });
});

Task("Test")
    .Description("Runs every test project; TRX under artifacts/test-results.")
    .IsDependentOn("Build")
    .Does(() =>
{
    EnsureDirectoryExists(testResults);
    CleanDirectory(testResults);

    var projects = TestProjects();
    if (projects.Count == 0)
    {
        throw new CakeException("Test: the solution has no test projects");
    }

    var results = new List<TestCounts>();
    var crashed = new List<string>();
    foreach (var project in projects)
    {
        var name = project.GetFilenameWithoutExtension().ToString();
        var trx = testResults.CombineWithFilePath($"{name}.trx");
        Information($"Test: {name}");
        try
        {
            DotNetTest(project.FullPath, new DotNetTestSettings
            {
                Configuration = configuration,
                NoBuild = true,
                NoRestore = true,
                ResultsDirectory = testResults,
                Loggers = new[] { $"trx;LogFileName={trx.GetFilename()}" },
                // A hung test is killed after 10 minutes instead of eating the CI budget.
                ArgumentCustomization = args => args.Append("--blame-hang-timeout 10m --blame-hang-dump-type none"),
            });
        }
        catch (CakeException exception)
        {
            // Failed tests make dotnet test exit non-zero: run the other projects, then fail.
            crashed.Add($"{name}: {exception.Message}");
        }

        results.Add(FileExists(trx) ? TestCounts.FromTrx(name, trx.FullPath) : TestCounts.Missing(name));
    }

    // The blame collector leaves an empty directory per run.
    foreach (var empty in System.IO.Directory.GetDirectories(testResults.FullPath).Where(d => !System.IO.Directory.EnumerateFileSystemEntries(d).Any()))
    {
        System.IO.Directory.Delete(empty);
    }

    var total = TestCounts.Sum(results);
    Information("");
    Information("Test results:");
    foreach (var result in results)
    {
        Information($"  {result.Project,-40} {result.Describe()}");
    }
    Information($"  {"total",-40} {total.Describe()}");

    var summary = $"{total.Passed} passed, {total.Failed} failed, {total.Skipped} skipped";
    // build.sh prints this file again as the run's closing line.
    System.IO.File.WriteAllText(testResults.CombineWithFilePath("summary.txt").FullPath, summary + "\n");
    Information(summary);

    if (total.Failed > 0)
    {
        throw new CakeException($"Test: {total.Failed} test(s) failed");
    }
    if (crashed.Count > 0)
    {
        throw new CakeException("Test: dotnet test failed without a failed test in its TRX (crash, hang or no TRX):\n  " + string.Join("\n  ", crashed));
    }
    if (total.Executed == 0)
    {
        throw new CakeException("Test: no test ran; a run without tests is a failure");
    }
});

Task("Publish")
    .Description("NativeAOT neokernel for linux-x64 and linux-arm64; fails on any warning.")
    .Does(() =>
{
    EnsureDirectoryExists(logs);
    foreach (var rid in runtimes)
    {
        var output = PublishDir(rid);
        var warningsLog = logs.CombineWithFilePath($"publish-{rid}.warnings.log");
        var binlog = logs.CombineWithFilePath($"publish-{rid}.binlog");
        EnsureDirectoryExists(output);
        CleanDirectory(output);
        // ILC and the native link are incremental: an up-to-date native build would not repeat its
        // warnings. Removing the native intermediates makes every Publish show all of them.
        var native = Directory($"cli/obj/{configuration}/net10.0/{rid}/native");
        if (DirectoryExists(native))
        {
            DeleteDirectory(native, new DeleteDirectorySettings { Recursive = true, Force = true });
        }

        Information($"Publish: {rid} -> {output}");
        DotNetPublish(CliProject, new DotNetPublishSettings
        {
            Configuration = configuration,
            Runtime = rid,
            OutputDirectory = output,
            MSBuildSettings = new DotNetMSBuildSettings()
                .WithProperty("PublishAot", "true")
                .WithProperty("InvariantGlobalization", "true"),
            ArgumentCustomization = args => args
                .Append($"-bl:{binlog.FullPath}")
                .Append("-fl")
                .Append($"-flp:warningsonly;logfile={warningsLog.FullPath}"),
        });

        var warnings = System.IO.File.ReadAllLines(warningsLog.FullPath)
            .Where(line => !string.IsNullOrWhiteSpace(line))
            .Distinct()
            .ToList();
        if (warnings.Count > 0)
        {
            foreach (var warning in warnings)
            {
                Error(warning);
            }
            var trimAot = warnings.Count(line => Regex.IsMatch(line, @"warning IL[23]\d{3}"));
            throw new CakeException($"Publish {rid}: {warnings.Count} warning(s), {trimAot} of them trim/AOT (IL2xxx/IL3xxx); see {binlog}");
        }

        var binary = output.CombineWithFilePath(CliBinary);
        if (!FileExists(binary))
        {
            throw new CakeException($"Publish {rid}: {binary} is missing");
        }
        Information($"Publish: {rid} ok, no warnings, {new System.IO.FileInfo(binary.FullPath).Length / 1024} KiB");
    }
});

Task("SmokeArm64")
    .Description("Runs the x64 binary and the arm64 binary (under qemu) with the same simulations and compares their digests.")
    .IsDependentOn("Publish")
    .Does(() =>
{
    var x64 = PublishDir("linux-x64").CombineWithFilePath(CliBinary).FullPath;
    var arm64 = PublishDir("linux-arm64").CombineWithFilePath(CliBinary).FullPath;

    foreach (var arguments in SmokeArguments)
    {
        var x64Output = RunSmoke("linux-x64", x64, arguments);
        // No binfmt on CI machines: call qemu explicitly, with the arm64 sysroot for the dynamic loader and libc.
        var arm64Output = RunSmoke("linux-arm64", "qemu-aarch64", $"-L {Arm64Sysroot} {arm64} {arguments}");
        var x64Digest = TraceDigest("linux-x64", x64Output);
        var arm64Digest = TraceDigest("linux-arm64", arm64Output);
        if (x64Digest != arm64Digest)
        {
            throw new CakeException($"SmokeArm64: `{arguments}`: trace digests differ: linux-x64 {x64Digest}, linux-arm64 {arm64Digest}");
        }
        Information($"SmokeArm64: `{arguments}`: both print trace digest {x64Digest}");
    }
});

Task("TornReadArm64")
    .Description("Runs the region concurrency test's logic as NativeAOT linux-arm64 under qemu-aarch64, bounded; fails on a torn read or on any publish warning.")
    .Does(() =>
{
    // What this can show on an x64 host: the arm64 code of the seqlock's Volatile and Interlocked
    // operations runs and the protocol holds under qemu's interleavings. What it cannot: qemu's TCG
    // runs guest threads on the host's TSO memory model, so ARM's weaker reorderings never occur
    // here (SeqLockTests reads the barriers in the code instead; an arm64 board would show them).
    EnsureDirectoryExists(logs);
    var output = artifacts.Combine("publish").Combine("torn-read").Combine("linux-arm64");
    var warningsLog = logs.CombineWithFilePath("publish-torn-read-linux-arm64.warnings.log");
    EnsureDirectoryExists(output);
    DotNetPublish(TornReadProject, new DotNetPublishSettings
    {
        Configuration = configuration,
        Runtime = "linux-arm64",
        OutputDirectory = output,
        ArgumentCustomization = args => args.Append("-fl").Append($"-flp:warningsonly;logfile={warningsLog.FullPath}"),
    });
    var warnings = System.IO.File.ReadAllLines(warningsLog.FullPath).Where(line => !string.IsNullOrWhiteSpace(line)).Distinct().ToList();
    if (warnings.Count > 0)
    {
        warnings.ForEach(warning => Error(warning));
        throw new CakeException($"TornReadArm64: publishing {TornReadBinary} gave {warnings.Count} warning(s)");
    }

    var binary = output.CombineWithFilePath(TornReadBinary).FullPath;
    var lines = RunSmoke("linux-arm64", "qemu-aarch64", $"-L {Arm64Sysroot} {binary} {TornReadSeconds}");
    Information($"TornReadArm64: {lines.LastOrDefault()}");
});

Task("Bench")
    .Description("Runs the benchmark harness in Release (restart time under the NativeAOT neokernel; loop latency: NativeAOT neokernel-latency next to cyclictest); writes docs/PERFORMANCE.md.")
    .Does(() =>
{
    var report = MakeAbsolute(File("docs/PERFORMANCE.md"));
    // The latency loop must run as a NativeAOT binary: JIT tiering would add its own noise to it.
    var rid = System.Runtime.InteropServices.RuntimeInformation.ProcessArchitecture == System.Runtime.InteropServices.Architecture.Arm64 ? "linux-arm64" : "linux-x64";
    // The restart time is the shipped binary's: the demo and its service hosts as NativeAOT, started as in production.
    var neokernelOutput = PublishDir(rid);
    EnsureDirectoryExists(neokernelOutput);
    DotNetPublish(CliProject, new DotNetPublishSettings
    {
        Configuration = "Release",
        Runtime = rid,
        OutputDirectory = neokernelOutput,
        MSBuildSettings = new DotNetMSBuildSettings().WithProperty("PublishAot", "true").WithProperty("InvariantGlobalization", "true"),
    });
    var neokernelBinary = neokernelOutput.CombineWithFilePath(CliBinary);
    var latencyOutput = artifacts.Combine("publish").Combine("latency").Combine(rid);
    EnsureDirectoryExists(latencyOutput);
    DotNetPublish(LatencyProject, new DotNetPublishSettings
    {
        Configuration = "Release",
        Runtime = rid,
        OutputDirectory = latencyOutput,
        MSBuildSettings = new DotNetMSBuildSettings().WithProperty("PublishAot", "true"),
    });
    var latencyBinary = latencyOutput.CombineWithFilePath(LatencyBinary);
    DotNetRun(BenchProject, new DotNetRunSettings
    {
        Configuration = "Release",
        ArgumentCustomization = args => args.Append("--")
            .Append("--report").AppendQuoted(report.FullPath)
            .Append("--latency-binary").AppendQuoted(latencyBinary.FullPath)
            .Append("--neokernel-binary").AppendQuoted(neokernelBinary.FullPath)
            .Append(benchArguments),
    });
    Information($"Bench: report in {report}");
});

Task("KillSoak")
    .Description("kill -9 the tank demo's level-sensor process 100 times under the NativeAOT binary; the supervisor must restart it every time.")
    .IsDependentOn("Publish")
    .Does(() =>
{
    var binary = PublishDir("linux-x64").CombineWithFilePath(CliBinary).FullPath;
    var exit = StartProcess("bash", new ProcessSettings { Arguments = $"scripts/kill-soak.sh {binary} 100 3" });
    if (exit != 0)
    {
        throw new Exception($"KillSoak: scripts/kill-soak.sh exited with {exit}");
    }
});

Task("Fuzz")
    .Description("Fuzzes each Modbus decoder, the OPC UA transport, the fault-schedule parser and the campaign reader with afl-fuzz for --fuzz-seconds (default an hour); fails on any crash or hang.")
    .Does(() => RunFuzz(fuzzSeconds));

Task("FuzzSlice")
    .Description("Fuzzes each Modbus decoder, the OPC UA transport, the fault-schedule parser and the campaign reader for 30 s (the CI slice of Fuzz).")
    .Does(() => RunFuzz(FuzzSliceSeconds));

Task("OpcUaGenerate")
    .Description("Regenerates gateway/Ua/Generated from the OPC UA normative files (--opcua-spec, default ../shared/opcua-spec).")
    .Does(() =>
{
    if (!DirectoryExists(opcUaSpec))
    {
        throw new CakeException(
            $"OpcUaGenerate: the spec folder '{opcUaSpec}' does not exist. It must hold NodeIds.csv, StatusCode.csv, " +
            "AttributeIds.csv and Opc.Ua.NodeSet2.xml of OPCFoundation/UA-Nodeset Schema/; pass --opcua-spec=<folder>. " +
            "Only regenerating needs it: the generated files are checked in.");
    }

    var exit = StartProcess("dotnet", new ProcessSettings
    {
        Arguments = $"run --project {OpcUaGenProject} -c Release -- \"{opcUaSpec}\" {OpcUaGeneratedDir}",
    });
    if (exit != 0)
    {
        throw new CakeException($"OpcUaGenerate: tools/OpcUaGen exited with {exit}");
    }
});

Task("CI")
    .Description("Build + Test + Publish + SmokeArm64 + TornReadArm64 + KillSoak + FuzzSlice.")
    .IsDependentOn("Build")
    .IsDependentOn("Test")
    .IsDependentOn("Publish")
    .IsDependentOn("SmokeArm64")
    .IsDependentOn("TornReadArm64")
    .IsDependentOn("KillSoak")
    .IsDependentOn("FuzzSlice");

RunTarget(target);

// ---------------------------------------------------------------------------------------------

List<FilePath> SolutionProjects() =>
    XDocument.Load(Solution).Descendants("Project")
        .Select(project => (FilePath)MakeAbsolute(File(project.Attribute("Path").Value)))
        .ToList();

// Test projects are the solution's projects that reference the test SDK or say IsTestProject=true
// (the benchmark harness under tests/ says false).
List<FilePath> TestProjects() =>
    SolutionProjects()
        .Where(project =>
        {
            var text = System.IO.File.ReadAllText(project.FullPath);
            return !text.Contains("<IsTestProject>false</IsTestProject>")
                && (text.Contains("Microsoft.NET.Test.Sdk") || text.Contains("<IsTestProject>true</IsTestProject>"));
        })
        .ToList();

// Builds the fuzz program into artifacts/fuzz/bin, instruments fuzzAssemblies there with
// SharpFuzz (never the normal build's copy), then runs afl-fuzz on each target for `seconds`.
// afl's findings stay under artifacts/fuzz/<target>/; crashes and hangs are copied to
// artifacts/fuzz/findings/<target>/ and fail the task: make each one a regression test
// (tests/Neokernel.Fuzz/regressions/<target>/, which the test project replays) and fix the decoder.
void RunFuzz(int seconds)
{
    if (seconds <= 0)
    {
        throw new CakeException($"Fuzz: --fuzz-seconds must be positive, not {seconds}");
    }
    var fuzzRoot = artifacts.Combine("fuzz");
    var bin = fuzzRoot.Combine("bin");
    EnsureDirectoryExists(fuzzRoot);
    // A fresh output directory every time: SharpFuzz refuses an assembly it has already instrumented.
    if (DirectoryExists(bin))
    {
        DeleteDirectory(bin, new DeleteDirectorySettings { Recursive = true, Force = true });
    }
    DotNetBuild(FuzzProject, new DotNetBuildSettings { Configuration = configuration, OutputDirectory = bin });
    foreach (var assembly in fuzzAssemblies)
    {
        RunChecked("dotnet", $"sharpfuzz {bin.CombineWithFilePath(assembly).FullPath}", $"Fuzz: SharpFuzz instrumentation of {assembly}");
    }

    var failures = new List<string>();
    foreach (var target in fuzzTargets)
    {
        var findings = FuzzTarget(target, seconds, fuzzRoot, bin);
        if (findings.Count > 0)
        {
            var kept = fuzzRoot.Combine("findings").Combine(target);
            EnsureDirectoryExists(kept);
            foreach (var file in findings)
            {
                CopyFile(file, kept.CombineWithFilePath(System.IO.Path.GetFileName(file.Replace(':', '_'))));
            }
            failures.Add($"{target}: {findings.Count} crash(es) or hang(s), kept in {kept}");
        }
    }
    if (failures.Count > 0)
    {
        throw new CakeException("Fuzz: " + string.Join("; ", failures) + ". Replay one with the test project's corpus test after copying it to tests/Neokernel.Fuzz/regressions/<target>/");
    }
}

List<string> FuzzTarget(string target, int seconds, DirectoryPath fuzzRoot, DirectoryPath bin)
{
    var output = fuzzRoot.Combine(target);
    if (DirectoryExists(output))
    {
        DeleteDirectory(output, new DeleteDirectorySettings { Recursive = true, Force = true });
    }
    var seeds = MakeAbsolute(Directory($"tests/Neokernel.Fuzz/corpus/{target}"));
    var dictionary = MakeAbsolute(File(target.StartsWith("ua-") ? "tests/Neokernel.Fuzz/ua.dict" : target is "fault-schedule" or "campaign-file" ? "tests/Neokernel.Fuzz/faults.dict" : "tests/Neokernel.Fuzz/modbus.dict"));
    var log = fuzzRoot.CombineWithFilePath($"{target}.log");
    var startInfo = new System.Diagnostics.ProcessStartInfo("afl-fuzz",
        $"-V {seconds} -t 5000 -m none -x {dictionary.FullPath} -i {seeds.FullPath} -o {output.FullPath} -- dotnet {bin.CombineWithFilePath("Neokernel.Fuzz.dll").FullPath} {target}")
    {
        RedirectStandardOutput = true,
        RedirectStandardError = true,
        UseShellExecute = false,
    };
    // dotnet is not an afl-instrumented binary (SharpFuzz instruments the managed code); the machine
    // is shared, so no CPU pinning and no cpufreq or core_pattern demands; plain log instead of the UI.
    foreach (var variable in new[] { "AFL_SKIP_BIN_CHECK", "AFL_NO_AFFINITY", "AFL_SKIP_CPUFREQ", "AFL_I_DONT_CARE_ABOUT_MISSING_CRASHES", "AFL_NO_UI" })
    {
        startInfo.Environment[variable] = "1";
    }
    Information($"Fuzz: {target} for {seconds} s");
    using var process = System.Diagnostics.Process.Start(startInfo) ?? throw new CakeException("Fuzz: could not start afl-fuzz (is afl++ installed? scripts/install-deps.sh)");
    var stdout = process.StandardOutput.ReadToEndAsync();
    var stderr = process.StandardError.ReadToEndAsync();
    if (!process.WaitForExit(TimeSpan.FromSeconds(seconds + 300)))
    {
        process.Kill(entireProcessTree: true);
        throw new CakeException($"Fuzz: afl-fuzz on {target} did not stop within {seconds + 300} s");
    }
    process.WaitForExit();
    System.IO.File.WriteAllText(log.FullPath, stdout.GetAwaiter().GetResult() + stderr.GetAwaiter().GetResult());
    if (process.ExitCode != 0)
    {
        throw new CakeException($"Fuzz: afl-fuzz on {target} exited with {process.ExitCode}; see {log}");
    }

    var stats = System.IO.File.ReadAllLines(output.Combine("default").CombineWithFilePath("fuzzer_stats").FullPath)
        .Select(line => line.Split(':', 2))
        .Where(parts => parts.Length == 2)
        .ToDictionary(parts => parts[0].Trim(), parts => parts[1].Trim());
    Information($"Fuzz: {target}: {stats["execs_done"]} executions ({stats["execs_per_sec"]}/s), corpus {stats["corpus_count"]}, coverage {stats["bitmap_cvg"]}, crashes {stats["saved_crashes"]}, hangs {stats["saved_hangs"]}");
    if (long.Parse(stats["execs_done"]) == 0)
    {
        throw new CakeException($"Fuzz: afl-fuzz ran {target} zero times; see {log}");
    }
    return new[] { "crashes", "hangs" }
        .Select(kind => output.Combine("default").Combine(kind).FullPath)
        .Where(System.IO.Directory.Exists)
        .SelectMany(System.IO.Directory.GetFiles)
        .Where(file => !file.EndsWith("README.txt", StringComparison.Ordinal))
        .ToList();
}

void RunChecked(string fileName, string arguments, string what)
{
    var exit = StartProcess(fileName, new ProcessSettings { Arguments = arguments });
    if (exit != 0)
    {
        throw new CakeException($"{what}: `{fileName} {arguments}` exited with {exit}");
    }
}

List<string> RunSmoke(string rid, string fileName, string arguments)
{
    Information($"SmokeArm64: {rid}: {fileName} {arguments}");
    // System.Diagnostics.Process directly: Cake's StartProcess with a Timeout can return before
    // it has read a short-lived process's output (WaitForExit(timeout) does not drain the pipes).
    var startInfo = new System.Diagnostics.ProcessStartInfo(fileName, arguments)
    {
        RedirectStandardOutput = true,
        RedirectStandardError = true,
        UseShellExecute = false,
        WorkingDirectory = MakeAbsolute(Directory(".")).FullPath,
    };
    using var process = System.Diagnostics.Process.Start(startInfo)
        ?? throw new CakeException($"SmokeArm64: could not start {fileName}");
    var stdout = process.StandardOutput.ReadToEndAsync();
    var stderr = process.StandardError.ReadToEndAsync();
    if (!process.WaitForExit(smokeTimeout))
    {
        process.Kill(entireProcessTree: true);
        throw new CakeException($"SmokeArm64: {rid} did not finish within {smokeTimeout.TotalMinutes} minutes");
    }
    process.WaitForExit();

    var lines = SplitLines(stdout.GetAwaiter().GetResult());
    foreach (var line in lines)
    {
        Information($"  {rid} | {line}");
    }
    foreach (var line in SplitLines(stderr.GetAwaiter().GetResult()))
    {
        Warning($"  {rid} stderr | {line}");
    }
    if (process.ExitCode != 0)
    {
        throw new CakeException($"SmokeArm64: {rid} exited with {process.ExitCode}");
    }
    return lines;
}

static List<string> SplitLines(string text) =>
    text.Split('\n').Select(line => line.TrimEnd('\r')).Where(line => line.Length > 0).ToList();

string TraceDigest(string rid, List<string> lines)
{
    var digests = lines
        .Select(line => Regex.Match(line, @"^trace digest: ([0-9a-f]{16})\s*$"))
        .Where(match => match.Success)
        .Select(match => match.Groups[1].Value)
        .ToList();
    if (digests.Count != 1)
    {
        throw new CakeException($"SmokeArm64: {rid} printed {digests.Count} 'trace digest: <16 hex>' lines, expected 1");
    }
    return digests[0];
}

sealed record TestCounts(string Project, int Total, int Executed, int Passed, int Failed, int Skipped, bool HasTrx)
{
    const string TrxNamespace = "http://microsoft.com/schemas/VisualStudio/TeamTest/2010";

    public static TestCounts FromTrx(string project, string path)
    {
        XNamespace ns = TrxNamespace;
        var counters = XDocument.Load(path).Descendants(ns + "Counters").Single();
        int Count(string name) => (int?)counters.Attribute(name) ?? 0;
        var failed = Count("failed") + Count("error") + Count("timeout") + Count("aborted");
        // VSTest counts a skipped test in total but not in executed (xunit's Skip leaves notExecuted at 0).
        var skipped = Math.Max(Count("total") - Count("executed"), Count("notExecuted")) + Count("inconclusive");
        return new TestCounts(project, Count("total"), Count("executed"), Count("passed"), failed, skipped, true);
    }

    public static TestCounts Missing(string project) => new(project, 0, 0, 0, 0, 0, false);

    public static TestCounts Sum(IReadOnlyList<TestCounts> all) => new(
        "total",
        all.Sum(c => c.Total),
        all.Sum(c => c.Executed),
        all.Sum(c => c.Passed),
        all.Sum(c => c.Failed),
        all.Sum(c => c.Skipped),
        all.All(c => c.HasTrx));

    public string Describe() => HasTrx || Project == "total"
        ? $"{Passed} passed, {Failed} failed, {Skipped} skipped ({Total} total)"
        : "no TRX written (no tests found, or the test host crashed)";
}

// The targets --fuzz-targets names, each checked against the known ones.
static string[] FuzzTargetsNamed(string list, string[] known)
{
    var named = list.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
    var unknown = named.Where(n => !known.Contains(n)).ToList();
    if (named.Length == 0 || unknown.Count > 0)
    {
        throw new ArgumentException($"--fuzz-targets: unknown target(s) {string.Join(", ", unknown)}; the targets are {string.Join(", ", known)}");
    }

    return named;
}
