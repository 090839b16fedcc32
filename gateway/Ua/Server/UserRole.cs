namespace Neokernel.Gateway.Ua.Server;

/// <summary>
/// What a session's user may do to the plant (issue 9: "viewer, operator or engineer"). Each role
/// includes the ones before it: a viewer browses, reads and subscribes; an operator also writes
/// operator values (setpoints, modes) and calls operator methods; an engineer also restarts
/// services and writes engineering values (gains). Anonymous sessions are viewers unless the
/// gateway's configuration says otherwise.
/// </summary>
public enum UserRole : byte
{
    Viewer = 0,
    Operator = 1,
    Engineer = 2,
}
