// Load generators, run by hand in Release (not in CI):
//   dotnet run -c Release --project tests/Appliance.Bench -- store [--dir <path>] [--list-size <n>]
//   dotnet run -c Release --project tests/Appliance.Bench -- mime [BenchmarkDotNet options, e.g. --job short --inProcess]
//   dotnet run -c Release --project tests/Appliance.Bench -- mailauth [seconds per case]
//   dotnet run -c Release --project tests/Appliance.Bench -- smtp --host H --port P [--connections N] [--messages M] [--size B] [--to A...] | smtp --compare
//   dotnet run -c Release --project tests/Appliance.Bench -- pop3 --compare [--messages N] [--size B] [--connections C[,C...]] [--rounds R] [--logins L] [--no-pipelining]
//   dotnet run -c Release --project tests/Appliance.Bench -- webmail [--messages N] [--rounds R]
//   dotnet run -c Release --project tests/Appliance.Bench -- imap --compare [--messages N] [--size B] [--connections C[,C...]] [--rounds R] [--logins L] [--sample S]
using Appliance.Bench;

return args.FirstOrDefault() switch
{
    "store" => await StoreBench.RunAsync(args[1..]),
    "mime" => MimeBench.Run(args[1..]),
    "mailauth" => await MailAuthBench.RunAsync(args[1..]),
    "smtp" => await SmtpBench.RunAsync(args[1..]),
    "pop3" => await Pop3Bench.RunAsync(args[1..]),
    "imap" => await ImapBench.RunAsync(args[1..]),
    "webmail" => await WebmailBench.RunAsync(args[1..]),
    _ => Usage(),
};

static int Usage()
{
    Console.Error.WriteLine("usage: Appliance.Bench store [--dir <path>] [--list-size <n>]");
    Console.Error.WriteLine("       Appliance.Bench mime [BenchmarkDotNet options, e.g. --job short --inProcess]");
    Console.Error.WriteLine("       Appliance.Bench mailauth [seconds per case]");
    Console.Error.WriteLine("       Appliance.Bench smtp --host H --port P [--connections N] [--messages M] [--size B] --to A... [--starttls] [--auth U:P] | smtp --compare");
    Console.Error.WriteLine("       Appliance.Bench pop3 --compare [--messages N (10000)] [--size BYTES (4096)] [--connections C[,C...] (1)] [--rounds R (3)] [--logins L (20)] [--no-pipelining]");
    Console.Error.WriteLine("       Appliance.Bench imap --compare [--messages N (10000)] [--size BYTES (4096)] [--connections C[,C...] (1,4)] [--rounds R (3)] [--logins L (20)] [--sample S (100)]");
    Console.Error.WriteLine("       Appliance.Bench webmail [--messages N (10000)] [--rounds R (200)]");
    return 2;
}
