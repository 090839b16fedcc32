using YamlDotNet.Serialization;

namespace Neokernel.Kernel.Manifests;

/// <summary>
/// The YAML static (source-generated) context for manifests: it lets YamlDotNet read the model
/// without reflection, so the kernel publishes with NativeAOT with no trim or AOT warnings.
/// </summary>
[YamlStaticContext]
public partial class ManifestYamlContext : StaticContext
{
}
