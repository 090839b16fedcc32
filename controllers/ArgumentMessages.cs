namespace Neokernel.Controllers;

/// <summary>What an <see cref="ArgumentException"/> says, for a manifest's error that names the parameter itself.</summary>
internal static class ArgumentMessages
{
    /// <summary>The message without the " (Parameter 'NAME')" .NET appends when the exception names its parameter.</summary>
    public static string WithoutParameter(ArgumentException exception) =>
        exception.ParamName is null
            ? exception.Message
            : exception.Message.Replace($" (Parameter '{exception.ParamName}')", string.Empty, StringComparison.Ordinal);
}
