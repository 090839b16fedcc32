using Neokernel.Gateway.Ua;
using Neokernel.Gateway.Ua.Server;

namespace Neokernel.Gateway.Tests.Server;

public sealed class MethodServicesTests
{
    private static CallMethodRequest Method(TestPlant plant, UaMethodNode method, params Variant[] inputs) =>
        new() { ObjectId = plant.Loop.NodeId, MethodId = method.NodeId, InputArguments = inputs };

    private static CallResponse CallNow(TestPlant plant, UserRole role, params CallMethodRequest[] methods)
    {
        var recorder = new CallRecorder();
        plant.Methods().Call(new CallRequest { MethodsToCall = methods }, plant.Context(role), recorder, "request");
        var (response, state) = Assert.Single(recorder.Responses);
        Assert.Equal("request", state);
        return response;
    }

    [Fact]
    public void Call_SynchronousMethod_ResultInResponse()
    {
        var plant = new TestPlant();

        var response = CallNow(plant, UserRole.Operator, Method(plant, plant.SetMode, new Variant(2), new Variant("test")));

        var result = Assert.Single(response.Results!);
        Assert.True(result.StatusCode.IsGood);
        Assert.Equal(2, Assert.Single(result.OutputArguments!).AsInt32());
        Assert.Equal(plant.Loop, Assert.Single(plant.SetModeHandler.Calls).Object);
        Assert.Equal(0, plant.Session.CallsOutstanding);
    }

    [Fact]
    public void Call_AsynchronousMethod_ResponseWhenCompletedLater()
    {
        var plant = new TestPlant();
        var recorder = new CallRecorder();
        var request = new CallRequest
        {
            MethodsToCall = [Method(plant, plant.Restart, new Variant("pump")), Method(plant, plant.SetMode, new Variant(1), new Variant("x"))],
        };
        request.RequestHeader.RequestHandle = 9;

        plant.Methods().Call(request, plant.Context(UserRole.Engineer), recorder, state: 9);

        Assert.Empty(recorder.Responses);
        Assert.Equal(1, plant.Session.CallsOutstanding);
        var pending = Assert.Single(plant.RestartHandler.Calls);
        Assert.Equal("pump", pending.Inputs[0].AsString());
        pending.Complete(StatusCodes.BadInvalidState);
        pending.Complete(StatusCode.Good);

        var (response, state) = Assert.Single(recorder.Responses);
        Assert.Equal(9, state);
        Assert.Equal(9u, response.ResponseHeader.RequestHandle);
        Assert.Equal(StatusCodes.BadInvalidState, response.Results![0].StatusCode.Code);
        Assert.Null(response.Results[0].OutputArguments);
        Assert.True(response.Results[1].StatusCode.IsGood);
        Assert.Equal(0, plant.Session.CallsOutstanding);
    }

    [Fact]
    public void Call_OutstandingLimit_FurtherCallRefused()
    {
        var plant = new TestPlant(UaServiceLimits.Default with { CallsOutstandingPerSessionMax = 2 });
        var recorder = new CallRecorder();
        var request = new CallRequest { MethodsToCall = [Method(plant, plant.Restart, new Variant("pump"))] };
        var methods = plant.Methods();

        methods.Call(request, plant.Context(UserRole.Engineer), recorder, 1);
        methods.Call(request, plant.Context(UserRole.Engineer), recorder, 2);
        methods.Call(request, plant.Context(UserRole.Engineer), recorder, 3);

        var (refused, state) = Assert.Single(recorder.Responses);
        Assert.Equal(3, state);
        Assert.Equal(StatusCodes.BadTooManyOperations, refused.ResponseHeader.ServiceResult.Code);
        plant.RestartHandler.Calls[0].Complete(StatusCode.Good);
        methods.Call(request, plant.Context(UserRole.Engineer), recorder, 4);
        Assert.Equal(3, plant.RestartHandler.Calls.Count);
        Assert.Equal(2, plant.Session.CallsOutstanding);
    }

    [Fact]
    public void Call_Roles_UserAccessDenied()
    {
        var plant = new TestPlant();

        var viewer = CallNow(plant, UserRole.Viewer, Method(plant, plant.SetMode, new Variant(2), new Variant("x")));
        var operatorRestart = CallNow(plant, UserRole.Operator, Method(plant, plant.Restart, new Variant("pump")));

        Assert.Equal(StatusCodes.BadUserAccessDenied, viewer.Results![0].StatusCode.Code);
        Assert.Equal(StatusCodes.BadUserAccessDenied, operatorRestart.Results![0].StatusCode.Code);
        Assert.Empty(plant.SetModeHandler.Calls);
        Assert.Empty(plant.RestartHandler.Calls);
    }

    [Fact]
    public void Call_Arguments_Checked()
    {
        var plant = new TestPlant();

        var response = CallNow(plant, UserRole.Operator,
            Method(plant, plant.SetMode, new Variant(2)),
            Method(plant, plant.SetMode, new Variant(2), new Variant("x"), new Variant(3)),
            Method(plant, plant.SetMode, new Variant("two"), new Variant("x")));

        Assert.Equal(StatusCodes.BadArgumentsMissing, response.Results![0].StatusCode.Code);
        Assert.Equal(StatusCodes.BadTooManyArguments, response.Results[1].StatusCode.Code);
        Assert.Equal(StatusCodes.BadInvalidArgument, response.Results[2].StatusCode.Code);
        Assert.Equal([new StatusCode(StatusCodes.BadTypeMismatch), StatusCode.Good], response.Results[2].InputArgumentResults!);
        Assert.Empty(plant.SetModeHandler.Calls);
    }

    [Fact]
    public void Call_BadTargets_TheirCodes()
    {
        var plant = new TestPlant();
        var unknownObject = Method(plant, plant.SetMode);
        unknownObject.ObjectId = plant.Id("Nope");
        var unknownMethod = Method(plant, plant.SetMode);
        unknownMethod.MethodId = plant.Id("Nope");
        var notAMethod = Method(plant, plant.SetMode);
        notAMethod.MethodId = plant.Level.NodeId;
        var wrongObject = Method(plant, plant.SetMode, new Variant(1), new Variant("x"));
        wrongObject.ObjectId = plant.Folder.NodeId;

        var response = CallNow(plant, UserRole.Engineer, unknownObject, unknownMethod, notAMethod, wrongObject, Method(plant, plant.Disabled));

        Assert.Equal(StatusCodes.BadNodeIdUnknown, response.Results![0].StatusCode.Code);
        Assert.Equal(StatusCodes.BadMethodInvalid, response.Results[1].StatusCode.Code);
        Assert.Equal(StatusCodes.BadMethodInvalid, response.Results[2].StatusCode.Code);
        Assert.Equal(StatusCodes.BadMethodInvalid, response.Results[3].StatusCode.Code);
        Assert.Equal(StatusCodes.BadNotExecutable, response.Results[4].StatusCode.Code);
    }

    [Fact]
    public void Call_ServiceErrors_TheirCodes()
    {
        var plant = new TestPlant(UaServiceLimits.Default with { MaxNodesPerMethodCall = 1 });
        var method = Method(plant, plant.SetMode, new Variant(1), new Variant("x"));

        Assert.Equal(StatusCodes.BadNothingToDo, CallNow(plant, UserRole.Operator).ResponseHeader.ServiceResult.Code);
        Assert.Equal(StatusCodes.BadTooManyOperations, CallNow(plant, UserRole.Operator, method, method).ResponseHeader.ServiceResult.Code);
        Assert.Empty(plant.SetModeHandler.Calls);
    }
}
