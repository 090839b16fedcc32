using Neokernel.Kernel.Capabilities;
using Neokernel.Kernel.Devices;
using Neokernel.Kernel.Manifests;
using Neokernel.Kernel.Platform;
using Neokernel.Kernel.Tests.Support;
using Neokernel.Kernel.Trace;

namespace Neokernel.Kernel.Tests.Devices;

/// <summary>Services open stream devices through their device capabilities; under sim they meet on the virtual network.</summary>
public sealed class StreamServiceTests
{
    [Fact]
    public void Echo_BetweenTwoServicesRunTwice_SameDigests()
    {
        var first = RunEcho(seed: 5);
        var second = RunEcho(seed: 5);

        Assert.Equal(first, second);
        Assert.True(first.Echoes >= 100, $"{first.Echoes} echoes");
    }

    [Fact]
    public void Write_ReadOnlyGrant_FailsAccessDeniedAndIsTraced()
    {
        var system = new TestSystem();
        var client = new Client();
        IStreamChannel? channel = null;
        system.Add("slave", "test.slave", periodUs: 0).Devices.Add(new DeviceManifest { Name = "port", Uri = "tcp-listen://127.0.0.1:1502", Access = "read-write" });
        system.Add("master", "test.master", periodUs: 0).Devices.Add(new DeviceManifest { Name = "plc", Uri = "tcp://127.0.0.1:1502", Access = "read" });
        system.Catalog.Program("test.slave", () => new DelegateService(c => c.OpenListener("port", new Echo())));
        system.Catalog.Program("test.master", () => new DelegateService(c => channel = c.OpenStream("plc", client)));
        var (kernel, platform) = system.Boot();
        platform.RunUntil(10_000_000);
        var denialsBefore = kernel.Trace.CountOf(TraceEventKind.CapabilityDeny);

        var result = channel!.Write([1, 2, 3]);

        Assert.Equal(LinkState.Up, channel.State);
        Assert.Equal(new IoResult(IoStatus.Failed, 0, DeviceError.AccessDenied, 0), result);
        Assert.Equal(denialsBefore + 1, kernel.Trace.CountOf(TraceEventKind.CapabilityDeny));
    }

    [Fact]
    public void Open_WrongCallForTheScheme_SaysWhichCallOpensIt()
    {
        var system = new TestSystem();
        Exception? registerBank = null, undeclared = null, listener = null;
        system.Add("master", "test.master", periodUs: 0).Devices.Add(new DeviceManifest { Name = "plc", Uri = "modbus-tcp://127.0.0.1:502?unit=1", Access = "read-write" });
        system.Catalog.Program("test.master", () => new DelegateService(c =>
        {
            registerBank = Record(() => c.OpenDevice("plc"));
            listener = Record(() => c.OpenListener("plc", new Echo()));
            undeclared = Record(() => c.OpenStream("other", new Client()));
        }));
        var (_, platform) = system.Boot();
        platform.RunUntil(1_000_000);

        Assert.Contains("open it with OpenStream", registerBank!.Message, StringComparison.Ordinal);
        Assert.Contains("open it with OpenStream", listener!.Message, StringComparison.Ordinal);
        Assert.IsType<CapabilityDeniedException>(undeclared);
    }

    private static Exception? Record(Action action)
    {
        try
        {
            action();
            return null;
        }
        catch (Exception exception) when (exception is InvalidOperationException or CapabilityDeniedException)
        {
            return exception;
        }
    }

    private static (ulong Trace, ulong Client, int Echoes) RunEcho(ulong seed)
    {
        var system = new TestSystem();
        var client = new Client();
        system.Add("slave", "test.slave", periodUs: 0).Devices.Add(new DeviceManifest { Name = "port", Uri = "modbus-tcp://0.0.0.0:1502?listen=true&connectionsMax=2", Access = "read-write" });
        system.Add("master", "test.master", periodUs: 0).Devices.Add(new DeviceManifest { Name = "plc", Uri = "modbus-tcp://127.0.0.1:1502?unit=1", Access = "read-write" });
        system.Catalog.Program("test.slave", () => new DelegateService(c => c.OpenListener("port", new Echo())));
        system.Catalog.Program("test.master", () => new DelegateService(c => c.OpenStream("plc", client)));
        var (kernel, platform) = system.Boot(seed);
        client.Clock = platform;
        platform.RunUntil(100_000_000);
        return (kernel.Trace.Digest, client.Digest, client.Echoes);
    }

    private sealed class Echo : IListenerHandler, IStreamHandler
    {
        private readonly byte[] buffer = new byte[256];

        public IStreamHandler? OnAccepted(IStreamChannel connection) => this;

        public void OnLinkChanged(IStreamChannel channel, LinkState state, DeviceError reason)
        {
        }

        public void OnReadable(IStreamChannel channel)
        {
            while (channel.Read(buffer) is { IsDone: true, Bytes: var count })
            {
                _ = channel.Write(buffer.AsSpan(0, count));
            }
        }

        public void OnWritable(IStreamChannel channel)
        {
        }
    }

    /// <summary>Sends 12 bytes (a Modbus request's size) whenever the last ones came back, and digests what it sees with the time.</summary>
    private sealed class Client : IStreamHandler
    {
        private readonly byte[] buffer = new byte[256];
        private int pending;

        public ulong Digest { get; private set; } = StableHash.FnvOffset;

        public int Echoes { get; private set; }

        /// <summary>Set after boot: each arrival's virtual time goes into the digest.</summary>
        public IClock? Clock { get; set; }

        public void OnLinkChanged(IStreamChannel channel, LinkState state, DeviceError reason)
        {
            Digest = StableHash.Mix(Digest, ((ulong)state << 8) | (ulong)reason);
            if (state == LinkState.Up)
            {
                Send(channel);
            }
        }

        public void OnReadable(IStreamChannel channel)
        {
            while (channel.Read(buffer) is { IsDone: true, Bytes: var count })
            {
                Digest = StableHash.Mix(StableHash.Mix(StableHash.Mix(Digest, (ulong)(Clock?.NowNs ?? 0)), (ulong)count), StableHash.Fnv1a64(buffer.AsSpan(0, count)));
                pending -= count;
                if (pending == 0)
                {
                    Echoes++;
                    Send(channel);
                }
            }
        }

        public void OnWritable(IStreamChannel channel)
        {
        }

        private void Send(IStreamChannel channel)
        {
            buffer.AsSpan(0, 12).Fill((byte)Echoes);
            pending = channel.Write(buffer.AsSpan(0, 12)).Bytes;
        }
    }
}
