using System.Net;
using System.Net.Sockets;
using Appliance.Dns;
using Appliance.MailAuth.Dmarc;
using Appliance.MailAuth.Spf;

namespace Appliance.MailAuth.Tests.Spf;

/// <summary>
/// SPF and DMARC over the real stub resolver, talking to a loopback server that answers badly: a
/// malformed answer or SERVFAIL must end as temperror (we do not know), never as none or fail.
/// </summary>
public sealed class BrokenDnsEndToEndTests
{
    public enum Breakage { Malformed, ServerFailure }

    [Theory]
    [InlineData(Breakage.Malformed)]
    [InlineData(Breakage.ServerFailure)]
    public async Task Spf_and_dmarc_give_temperror(Breakage breakage)
    {
        using var server = new BrokenDnsServer(breakage);
        var resolver = new DnsStubResolver(new DnsStubResolverOptions
        {
            Nameservers = [server.EndPoint],
            Timeout = TimeSpan.FromSeconds(2),
            Attempts = 1,
            MaxCacheEntries = 0,
        });

        // The resolver saw the answer (no timeout) and classified it as a temporary failure.
        var txt = await resolver.QueryAsync("example.com", DnsRecordType.TXT);
        Assert.Equal(breakage == Breakage.Malformed ? DnsResponseStatus.FormatError : DnsResponseStatus.ServerFailure, txt.Status);

        var spf = await new SpfEvaluator(resolver).CheckHostAsync(IPAddress.Parse("192.0.2.10"), "example.com", "someone@example.com", "mail.example.com");
        Assert.Equal(SpfVerdict.TempError, spf.Verdict);

        var dmarc = await new DmarcEvaluator(resolver, suffixes: Dmarc.TestSuffixList.List)
            .EvaluateAsync("example.com", new DmarcInput("example.com", "mail.example.com", SpfVerdict.Pass, []));
        Assert.Equal(DmarcVerdict.TempError, dmarc.Verdict);
        Assert.True(server.Queries > 0);
    }

    /// <summary>
    /// Answers every query over UDP on 127.0.0.1: either the query echoed back as a response that
    /// claims an answer record it does not contain (the question still matches, so the resolver must
    /// parse it and find it malformed), or RCODE 2 (SERVFAIL).
    /// </summary>
    private sealed class BrokenDnsServer : IDisposable
    {
        private readonly UdpClient _udp = new(new IPEndPoint(IPAddress.Loopback, 0));
        private readonly CancellationTokenSource _stop = new();
        private int _queries;

        public BrokenDnsServer(Breakage breakage) => _ = ServeAsync(breakage);

        public IPEndPoint EndPoint => (IPEndPoint)_udp.Client.LocalEndPoint!;

        public int Queries => Volatile.Read(ref _queries);

        private async Task ServeAsync(Breakage breakage)
        {
            try
            {
                while (!_stop.IsCancellationRequested)
                {
                    var request = await _udp.ReceiveAsync(_stop.Token);
                    Interlocked.Increment(ref _queries);
                    byte[] reply = request.Buffer.ToArray();
                    reply[2] |= 0x80;  // QR: a response (RFC 1035 4.1.1)
                    reply[3] = 0x80;   // RA, RCODE 0
                    if (breakage == Breakage.ServerFailure)
                        reply[3] |= 2; // RCODE 2
                    else
                        reply[7] = 1;  // ANCOUNT 1, but no answer record follows the question
                    await _udp.SendAsync(reply, request.RemoteEndPoint, _stop.Token);
                }
            }
            catch (OperationCanceledException)
            {
            }
            catch (ObjectDisposedException)
            {
            }
        }

        public void Dispose()
        {
            _stop.Cancel();
            _udp.Dispose();
            _stop.Dispose();
        }
    }
}
