using System.Text;

namespace Appliance.Storage.CrashWriter;

/// <summary>
/// Deterministic message for a sequence number. Compiled into both the crash writer and the crash
/// test, so the test can compare the bytes it finds with the bytes that were written.
/// </summary>
internal static class CrashMessage
{
    public static byte[] Create(long seq)
    {
        var random = new Random(unchecked((int)(seq * 7919)));
        var sb = new StringBuilder();
        sb.Append("From: crash@example.test\r\nTo: box@example.test\r\n");
        sb.Append("Subject: crash ").Append(seq).Append("\r\nMessage-ID: <").Append(seq).Append("@crash.test>\r\n\r\n");
        var lines = 1 + random.Next(400);
        for (var i = 0; i < lines; i++)
        {
            for (var j = 0; j < 70; j++)
            {
                sb.Append((char)('a' + random.Next(26)));
            }

            sb.Append("\r\n");
        }

        return Encoding.ASCII.GetBytes(sb.ToString());
    }
}
