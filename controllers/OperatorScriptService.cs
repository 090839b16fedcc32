using Neokernel.Kernel.Ipc;
using Neokernel.Kernel.Platform;
using Neokernel.Kernel.Services;

namespace Neokernel.Controllers;

/// <summary>
/// Program <c>controllers.operator-script</c>: plays the operator until the OPC UA gateway does.
/// Parameters: <c>endpoint</c> (the controller's command endpoint), <c>setpointStepAtSeconds</c>
/// (after its own start), <c>setpointStepTo</c> and, for a block network, <c>blockValue</c>. Sends
/// one SetSetpoint request (<see cref="ControllerCommands"/>), or a block network's SetValue of
/// <c>blockValue</c> (<see cref="BlockNetworkCommands"/>), when the cycle's release time passes the step time, and
/// reports a fault if the controller or the endpoint refuses it. It lives in controllers because
/// it speaks the controller's protocol; hil depends on the kernel only.
/// </summary>
public sealed class OperatorScriptService : IService
{
    public static readonly IReadOnlyList<ParameterDeclaration> Parameters =
    [
        ParameterDeclaration.RequiredText("endpoint", "the controller's command endpoint"),
        ParameterDeclaration.Number("setpointStepAtSeconds", "when the step is sent, after the script's own start", 0.0, "s", min: 0),
        ParameterDeclaration.Number("setpointStepTo", "the setpoint the step sets", 0.0, "PV units"),
        ParameterDeclaration.Text("blockValue", "for a block network (controllers.blocks): the settable input the step sets, block.PIN; empty for a PID loop's setpoint"),
    ];

    /// <summary>What the script expects of its endpoint: a loop's <see cref="ControllerCommands"/>, or with <c>blockValue</c> a network's <see cref="BlockNetworkCommands"/> with that value settable.</summary>
    public static IEnumerable<ContractUse> Uses(ProgramParameters parameters, Kernel.Manifests.ServiceManifest service)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        var endpoint = parameters.Text("endpoint");
        var blockValue = parameters.Text("blockValue");
        return blockValue.Length == 0
            ? [new ContractUse(endpoint, nameof(ControllerCommands), "program.parameters.endpoint") { MismatchHint = "for a block network (controllers.blocks), set the parameter blockValue to the settable input the step sets" }]
            : [new ContractUse(endpoint, nameof(BlockNetworkCommands), "program.parameters.endpoint") { Name = blockValue, NamePath = "program.parameters.blockValue", Sets = true, MismatchHint = "for a PID loop (controllers.pid), leave blockValue empty: the step sets the loop's setpoint" }];
    }

    private Running? running;

    /// <summary>The script, once started: for diagnostics and tests.</summary>
    public OperatorScript? Script => running?.Script;

    public void Start(IServiceContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var endpoint = ServiceSettings.RequiredString(context, "endpoint");
        var script = new OperatorScript(
            context.Parameters.Number("setpointStepAtSeconds"),
            context.Parameters.Number("setpointStepTo"),
            context.Parameters.Text("blockValue"));
        // The script runs on the cycle's release time, so it needs a timing section; check it before opening anything.
        ServiceSettings.PeriodSeconds(context);
        var state = new Running(context, script, context.Clock.NowNs);
        state.Client = context.OpenEndpointClient(endpoint, state);
        running = state;
        state.Task = context.StartCyclic(state);
    }

    public void Stop()
    {
        running?.Task?.Stop();
        running = null;
    }

    private sealed class Running(IServiceContext context, OperatorScript script, long startNs) : ICyclicBody, IReplyHandler
    {
        private readonly byte[] request = new byte[OperatorScript.RequestBytesMax];
        private bool faultReported;

        public OperatorScript Script { get; } = script;

        public EndpointClient? Client { get; set; }

        public ICyclicTaskHandle? Task { get; set; }

        public void Execute(in CycleInfo cycle)
        {
            var length = Script.TakeDueRequest(cycle.ReleaseNs - startNs, request);
            if (length == 0 || Client is null)
            {
                return;
            }

            Script.OnSent(Client.Call(request.AsSpan(0, length), out _));
            ReportIfFailed("the controller's endpoint refused the setpoint request");
        }

        public void OnReply(EndpointClient client, long correlation, ReadOnlySpan<byte> reply)
        {
            Script.OnReply(reply);
            ReportIfFailed("the controller refused the setpoint step");
        }

        private void ReportIfFailed(string reason)
        {
            if (Script.State == OperatorStepState.Failed && !faultReported)
            {
                faultReported = true;
                context.ReportFault(reason);
            }
        }
    }
}
