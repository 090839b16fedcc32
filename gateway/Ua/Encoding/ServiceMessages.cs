namespace Neokernel.Gateway.Ua;

/// <summary>A service request (Part 4 §5): every one starts with its <see cref="Ua.RequestHeader"/>.</summary>
public interface IServiceRequest : IEncodeable
{
    RequestHeader RequestHeader { get; }
}

/// <summary>A service response, or the ServiceFault that answers a request as a whole: every one starts with its <see cref="Ua.ResponseHeader"/>.</summary>
public interface IServiceResponse : IEncodeable
{
    ResponseHeader ResponseHeader { get; }
}
