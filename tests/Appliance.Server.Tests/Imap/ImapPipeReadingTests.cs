using System.Buffers;
using System.IO.Pipelines;
using System.Text;
using Appliance.Server.Imap;

namespace Appliance.Server.Tests.Imap;

/// <summary>
/// The reader driven the way the session will drive it: a real Pipe with Kestrel-like back-pressure
/// (the writer pauses at 1 MB unconsumed), AdvanceTo(Consumed, Examined) after every result.
/// </summary>
public sealed class ImapPipeReadingTests
{
    [Fact]
    public async Task A_message_larger_than_the_pipe_threshold_goes_through_without_deadlock()
    {
        var pipe = new Pipe(new PipeOptions(pauseWriterThreshold: 1024 * 1024, resumeWriterThreshold: 512 * 1024, useSynchronizationContext: false));
        var body = Encoding.ASCII.GetBytes(new string('b', 8 * 1024 * 1024));
        var writer = Task.Run(async () =>
        {
            await pipe.Writer.WriteAsync("a1 LOGIN joe {6}\r\nsecret\r\na2 APPEND INBOX (\\Seen) {8388608}\r\n"u8.ToArray());
            for (int i = 0; i < body.Length; i += 100_000)
                await pipe.Writer.WriteAsync(body.AsMemory(i, Math.Min(100_000, body.Length - i)));
            await pipe.Writer.WriteAsync(" {2+}\r\nhi\r\na3 LOGOUT\r\n"u8.ToArray());
            await pipe.Writer.CompleteAsync();
        });

        var reader = new ImapCommandReader();
        var limits = new ImapServerOptions().ReadLimits(authenticated: true);
        var commands = new List<string>();
        int continuations = 0;
        long streamed = 0;
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        while (true)
        {
            var read = await pipe.Reader.ReadAsync(timeout.Token);
            var buffer = read.Buffer;
            while (true)
            {
                var result = reader.Read(buffer, limits);
                if (result.Status == ImapReadStatus.LiteralData)
                    streamed += result.Data.Length;
                else if (result.Status == ImapReadStatus.Command)
                    commands.Add(result.Command!.ToString());
                else if (result.Status == ImapReadStatus.NeedContinuation)
                    continuations++; // the session would write "+ Ready" here
                else if (result.Status == ImapReadStatus.Error)
                    Assert.Fail(result.ToString());
                if (result.Status == ImapReadStatus.NeedMore)
                {
                    pipe.Reader.AdvanceTo(result.Consumed, result.Examined);
                    break;
                }
                buffer = buffer.Slice(result.Consumed);
            }
            if (read.IsCompleted)
                break;
        }
        await writer;
        Assert.Equal(2, continuations);
        Assert.Equal(body.Length, streamed);
        Assert.Equal(["a1 LOGIN joe {6}secret", "a2 APPEND INBOX (\\Seen) {8388608}<streamed> {2}hi", "a3 LOGOUT"], commands);
    }
}
