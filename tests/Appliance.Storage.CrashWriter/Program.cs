// Crash-test child for the message store (run by Appliance.Storage.Tests' CrashDurabilityTests).
// Usage: dotnet Appliance.Storage.CrashWriter.dll <root> <storeId> <firstSeq>
// Appends generated messages to INBOX forever and prints "<uid> <seq>" after each append returns,
// that is after the store acknowledged it; every third message also gets \Seen so a kill can land
// in the middle of a flag rename. The test kills this process with SIGKILL at random moments.
// The account is created if missing, so the writer can also be traced by hand (strace -f).
using System.Text;
using Appliance.Storage.CrashWriter;
using Appliance.Storage.Mail;

if (args.Length != 3 || !Guid.TryParse(args[1], out var storeId) || !long.TryParse(args[2], out var seq))
{
    Console.Error.WriteLine("usage: <root> <storeId> <firstSeq>");
    return 2;
}

using var store = new MessageStore(args[0]);
var account = store.AccountExists(storeId) ? store.OpenAccount(storeId) : store.CreateAccount(storeId);
var stdout = new StreamWriter(Console.OpenStandardOutput(), new UTF8Encoding(false)) { AutoFlush = true };
while (true)
{
    using var message = new MemoryStream(CrashMessage.Create(seq));
    var result = await account.AppendAsync("INBOX", message);
    stdout.Write($"{result.Uid} {seq}\n");
    if (seq % 3 == 0)
    {
        account.StoreFlags("INBOX", [result.Uid], FlagOperation.Add, MessageFlags.Seen);
    }

    seq++;
}
