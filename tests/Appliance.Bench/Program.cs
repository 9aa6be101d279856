// Load generators, run by hand in Release (not in CI):
//   dotnet run -c Release --project tests/Appliance.Bench -- store [--dir <path>] [--list-size <n>]
using Appliance.Bench;

return args.FirstOrDefault() switch
{
    "store" => await StoreBench.RunAsync(args[1..]),
    _ => Usage(),
};

static int Usage()
{
    Console.Error.WriteLine("usage: Appliance.Bench store [--dir <path>] [--list-size <n>]");
    return 2;
}
