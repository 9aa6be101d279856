namespace Appliance.Server.Configuration;

/// <summary>The configuration is inconsistent or incomplete; the message says which setting to fix.</summary>
public sealed class ApplianceConfigurationException(string message, Exception? inner = null) : Exception(message, inner);
