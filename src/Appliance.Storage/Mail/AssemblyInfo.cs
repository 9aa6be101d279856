using System.Runtime.CompilerServices;

// The benchmark builds a 100,000-message mailbox through the internal bulk import.
[assembly: InternalsVisibleTo("Appliance.Bench")]
