// Interop with an independent implementation: dkimpy (Debian's python3-dkim, with python3-nacl for
// ed25519-sha256). dkimpy would look keys up in DNS; the script hands it our TXT record through
// dkim.verify's dnsfunc instead. tests/run.sh installs both packages.
using System.Diagnostics;
using System.Text;
using Appliance.Dns;
using Appliance.MailAuth.Dkim;
using static Appliance.MailAuth.Tests.Dkim.DkimTestMessages;

namespace Appliance.MailAuth.Tests.Dkim;

public sealed class DkimInteropTests : IDisposable
{
    private const string Python = "/usr/bin/python3";

    private const string Script = """
        import sys, dkim
        mode, message_path = sys.argv[1], sys.argv[2]
        message = open(message_path, 'rb').read()
        if mode == 'verify':
            name, record = sys.argv[3], sys.argv[4].encode()
            def dnsfunc(qname, timeout=5):
                qname = qname.decode() if isinstance(qname, bytes) else qname
                return record if qname.rstrip('.').lower() == name else None
            ok = dkim.verify(message, dnsfunc=dnsfunc)
            print('pass' if ok else 'fail')
            sys.exit(0 if ok else 1)
        selector, domain, key_path, algorithm, canon = sys.argv[3:8]
        header, body = canon.split('/')
        signature = dkim.sign(message, selector.encode(), domain.encode(), open(key_path, 'rb').read(),
                              canonicalize=(header.encode(), body.encode()), signature_algorithm=algorithm.encode())
        sys.stdout.buffer.write(signature)
        """;

    private readonly string directory = Directory.CreateTempSubdirectory("dkim-interop-").FullName;

    public void Dispose() => Directory.Delete(directory, recursive: true);

    private (int ExitCode, string Output) RunPython(params string[] arguments)
    {
        Assert.True(File.Exists(Python), "python3 is missing: tests/run.sh installs python3-dkim and python3-nacl");
        string scriptPath = Path.Combine(directory, "dkim_interop.py");
        File.WriteAllText(scriptPath, Script);
        ProcessStartInfo start = new(Python) { RedirectStandardOutput = true, RedirectStandardError = true };
        start.ArgumentList.Add(scriptPath);
        foreach (string argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }
        using Process process = Process.Start(start)!;
        Task<string> stderr = process.StandardError.ReadToEndAsync();
        string stdout = process.StandardOutput.ReadToEnd();
        Assert.True(process.WaitForExit(60_000), "dkimpy did not finish in 60 s");
        Assert.DoesNotContain("No module named", stderr.Result);
        return (process.ExitCode, stdout + stderr.Result);
    }

    private string Write(string name, string content)
    {
        string path = Path.Combine(directory, name);
        File.WriteAllBytes(path, Encoding.UTF8.GetBytes(content));
        return path;
    }

    [Theory]
    [InlineData(DkimAlgorithm.RsaSha256, DkimCanonicalization.Relaxed, DkimCanonicalization.Relaxed)]
    [InlineData(DkimAlgorithm.RsaSha256, DkimCanonicalization.Simple, DkimCanonicalization.Simple)]
    [InlineData(DkimAlgorithm.Ed25519Sha256, DkimCanonicalization.Relaxed, DkimCanonicalization.Relaxed)]
    [InlineData(DkimAlgorithm.Ed25519Sha256, DkimCanonicalization.Simple, DkimCanonicalization.Relaxed)]
    public void Dkimpy_verifies_what_we_sign(DkimAlgorithm algorithm, DkimCanonicalization header, DkimCanonicalization body)
    {
        using DkimSigningKey key = algorithm == DkimAlgorithm.RsaSha256 ? DkimSigningKey.GenerateRsa() : DkimSigningKey.GenerateEd25519();
        string signed = Sign(key, Unsigned, new DkimSignerOptions { HeaderCanonicalization = header, BodyCanonicalization = body });

        (int exitCode, string output) = RunPython("verify", Write("signed.eml", signed), "sel._domainkey.example.com", key.DnsRecordValue);

        Assert.True(exitCode == 0, $"dkimpy: {output}\n{signed}");
        Assert.Equal("pass", output.Trim());

        (int tamperedExit, string tamperedOutput) = RunPython("verify", Write("tampered.eml", signed.Replace("We lost", "We won")), "sel._domainkey.example.com", key.DnsRecordValue);
        Assert.Equal((1, "fail"), (tamperedExit, tamperedOutput.Trim()));
    }

    [Theory]
    [InlineData(DkimCanonicalization.Relaxed, DkimCanonicalization.Relaxed)]
    [InlineData(DkimCanonicalization.Simple, DkimCanonicalization.Simple)]
    [InlineData(DkimCanonicalization.Relaxed, DkimCanonicalization.Simple)]
    public void Dkimpy_agrees_on_messages_with_awkward_whitespace(DkimCanonicalization header, DkimCanonicalization body)
    {
        using DkimSigningKey key = DkimSigningKey.GenerateEd25519();
        Random random = new(6376 + (int)header * 2 + (int)body);
        for (int i = 0; i < 4; i++)
        {
            string message = DkimRandomMessages.Create(random);
            string signed = Sign(key, message, new DkimSignerOptions { HeaderCanonicalization = header, BodyCanonicalization = body });
            (int exitCode, string output) = RunPython("verify", Write($"random{i}.eml", signed), "sel._domainkey.example.com", key.DnsRecordValue);
            Assert.True(exitCode == 0, $"dkimpy: {output}\n{signed}");
        }
    }

    [Theory]
    [InlineData("rsa-sha256", "relaxed/relaxed")]
    [InlineData("rsa-sha256", "simple/simple")]
    [InlineData("ed25519-sha256", "relaxed/simple")]
    public async Task We_verify_what_dkimpy_signs(string algorithm, string canonicalization)
    {
        DkimSigningKey key;
        string keyFile;
        if (algorithm == "rsa-sha256")
        {
            key = DkimSigningKey.GenerateRsa();
            keyFile = key.ExportPem();
        }
        else
        {
            // dkimpy reads an Ed25519 private key as the base64 of its 32 bytes (RFC 8463 A.1's form).
            byte[] seed = System.Security.Cryptography.RandomNumberGenerator.GetBytes(32);
            key = DkimSigningKey.FromEd25519Seed(seed);
            keyFile = Convert.ToBase64String(seed);
        }
        using (key)
        {
            (int exitCode, string signature) = RunPython("sign", Write("unsigned.eml", Unsigned), "py", "example.org", Write("key", keyFile), algorithm, canonicalization);
            Assert.True(exitCode == 0, "dkimpy sign: " + signature);
            Assert.StartsWith("DKIM-Signature:", signature);

            FakeDnsResolver dns = new FakeDnsResolver().AddTxt("py._domainkey.example.org", key.DnsRecordValue);
            IReadOnlyList<DkimResult> results = await new DkimVerifier(dns).VerifyAsync(Bytes(signature + Unsigned));

            DkimResult result = Assert.Single(results);
            Assert.True(result.Verdict == DkimVerdict.Pass, $"{result.Verdict}: {result.Reason}\n{signature}");
            Assert.Equal(("example.org", "py", algorithm), (result.Domain, result.Selector, result.Algorithm));
        }
    }
}
