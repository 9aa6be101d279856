using System.Diagnostics;
using System.Text;
using Appliance.MailAuth.Dkim;
using Appliance.Server.Dkim;
using Microsoft.EntityFrameworkCore;
using StoredAlgorithm = Appliance.Storage.Entities.DkimAlgorithm;

namespace Appliance.Server.Tests.Dkim;

public sealed class OutboundSignerTests
{
    [Theory]
    [InlineData("joe@elsewhere.example")]                               // not our domain
    [InlineData("joe@example.com.evil.example")]                        // a suffix is not our domain
    [InlineData("joe@example.com, ann@example.com")]                    // two authors
    [InlineData("Team: joe@example.com;")]                              // a group
    [InlineData("undisclosed-recipients:;")]                            // nobody
    [InlineData("not an address")]
    public async Task Mail_not_from_exactly_one_address_in_our_domains_is_not_signed(string from)
    {
        await using var host = await DkimTestHost.StartAsync();
        await host.Accounts.AddDomainAsync("example.com", "test");
        Assert.NotNull(await host.Signer.SignAsync(DkimTestHost.Message("joe@example.com")));

        Assert.Null(await host.Signer.SignAsync(DkimTestHost.Message(from)));
    }

    [Fact]
    public async Task Two_From_fields_or_none_are_not_signed()
    {
        await using var host = await DkimTestHost.StartAsync();
        await host.Accounts.AddDomainAsync("example.com", "test");
        byte[] twice = [.. Encoding.ASCII.GetBytes("From: ann@example.com\r\n"), .. DkimTestHost.Message("joe@example.com")];
        Assert.Null(await host.Signer.SignAsync(twice));
        Assert.Null(await host.Signer.SignAsync(Encoding.ASCII.GetBytes("To: a@example.com\r\nSubject: x\r\n\r\nbody\r\n")));
    }

    [Fact]
    public async Task An_international_From_domain_is_signed_with_its_A_label()
    {
        await using var host = await DkimTestHost.StartAsync();
        await host.Accounts.AddDomainAsync("bücher.example", "test");
        DkimKeyInfo key = (await host.Keys.GetActiveKeyAsync("xn--bcher-kva.example"))!;
        Assert.Equal("r20261121._domainkey.xn--bcher-kva.example", key.RecordName);

        byte[] message = DkimTestHost.Message("Jörg <jörg@bücher.example>");
        string signature = (await host.Signer.SignAsync(message))!;
        Assert.Contains("d=xn--bcher-kva.example;", signature);
        var result = Assert.Single(await new DkimVerifier(DkimTestHost.Dns(key)).VerifyAsync(DkimTestHost.Signed(signature, message)));
        Assert.True(result.Verdict == DkimVerdict.Pass, result.Reason);
    }

    [Fact]
    public async Task Ed25519_keys_can_be_chosen_and_verify()
    {
        await using var host = await DkimTestHost.StartAsync(o => o.Algorithm = StoredAlgorithm.Ed25519Sha256);
        await host.Accounts.AddDomainAsync("example.com", "test");
        DkimKeyInfo key = (await host.Keys.GetActiveKeyAsync("example.com"))!;
        Assert.Equal("e20261121", key.Selector);
        Assert.StartsWith("v=DKIM1; k=ed25519; p=", key.RecordValue);
        Assert.Single(key.RecordStrings);

        byte[] message = DkimTestHost.Message("joe@example.com");
        string signature = (await host.Signer.SignAsync(message))!;
        Assert.Contains("a=ed25519-sha256;", signature);
        var result = Assert.Single(await new DkimVerifier(DkimTestHost.Dns(key)).VerifyAsync(DkimTestHost.Signed(signature, message)));
        Assert.True(result.Verdict == DkimVerdict.Pass, result.Reason);
    }

    [Fact]
    public async Task Keys_survive_a_restart_and_are_stored_only_protected()
    {
        string data = Path.Combine(Path.GetTempPath(), "appliance-tests", Guid.NewGuid().ToString("N"));
        var time = new ManualTime(DkimTestHost.Start);
        DkimKeyInfo key;
        byte[] pkcs8;
        try
        {
            await using (var first = await DkimTestHost.StartAsync(data, deleteOnDispose: false, time))
            {
                await first.Accounts.AddDomainAsync("example.com", "test");
                key = (await first.Keys.GetActiveKeyAsync("example.com"))!;
                await using var db = first.CreateDb();
                string stored = (await db.DkimKeys.SingleAsync()).ProtectedPrivateKey;
                pkcs8 = first.Secrets.UnprotectDkimPrivateKey(stored);
                Assert.True(pkcs8.Length > 1000, "an RSA 2048 PKCS#8 key");
                Assert.DoesNotContain("PRIVATE KEY", stored);
                Assert.DoesNotContain(Convert.ToBase64String(pkcs8)[..64], stored);
            }

            // Neither the key's bytes nor its base64/PEM text appear anywhere in the database files.
            string pkcs8Base64 = Convert.ToBase64String(pkcs8);
            foreach (string file in Directory.GetFiles(data, "appliance.db*"))
            {
                byte[] bytes = File.ReadAllBytes(file);
                Assert.Equal(-1, bytes.AsSpan().IndexOf(pkcs8.AsSpan(0, 64)));
                Assert.Equal(-1, bytes.AsSpan().IndexOf(Encoding.ASCII.GetBytes(pkcs8Base64[..64])));
                Assert.Equal(-1, bytes.AsSpan().IndexOf("PRIVATE KEY"u8));
            }

            await using (var second = await DkimTestHost.StartAsync(data, deleteOnDispose: false, time))
            {
                DkimKeyInfo again = (await second.Keys.GetActiveKeyAsync("example.com"))!;
                Assert.Equal((key.Selector, key.RecordValue, key.CreatedUtc), (again.Selector, again.RecordValue, again.CreatedUtc));
                byte[] message = DkimTestHost.Message("joe@example.com");
                string signature = (await second.Signer.SignAsync(message))!;
                Assert.Contains($"s={key.Selector};", signature);
                var result = Assert.Single(await new DkimVerifier(DkimTestHost.Dns(key)).VerifyAsync(DkimTestHost.Signed(signature, message)));
                Assert.True(result.Verdict == DkimVerdict.Pass, result.Reason);
            }
        }
        finally
        {
            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
            try { Directory.Delete(data, recursive: true); } catch (IOException) { }
        }
    }

    [Fact]
    public async Task A_key_that_cannot_be_decrypted_means_unsigned_mail_and_is_tried_again_after_the_interval()
    {
        await using var host = await DkimTestHost.StartAsync();
        await host.Accounts.AddDomainAsync("example.com", "test");
        string original;
        await using (var db = host.CreateDb())
        {
            var key = await db.DkimKeys.SingleAsync();
            original = key.ProtectedPrivateKey;
            key.ProtectedPrivateKey = Convert.ToBase64String(Encoding.ASCII.GetBytes("not a protected payload at all"));
            await db.SaveChangesAsync();
        }
        Assert.Null(await host.Signer.SignAsync(DkimTestHost.Message("joe@example.com")));

        await using (var db = host.CreateDb())
        {
            (await db.DkimKeys.SingleAsync()).ProtectedPrivateKey = original; // the key ring is back
            await db.SaveChangesAsync();
        }
        Assert.Null(await host.Signer.SignAsync(DkimTestHost.Message("joe@example.com")));
        host.Time.Advance(TimeSpan.FromMinutes(1));
        Assert.NotNull(await host.Signer.SignAsync(DkimTestHost.Message("joe@example.com")));
    }

    [Fact]
    public async Task Changes_made_by_another_process_apply_to_the_next_message()
    {
        string data = Path.Combine(Path.GetTempPath(), "appliance-tests", Guid.NewGuid().ToString("N"));
        var time = new ManualTime(DkimTestHost.Start);
        try
        {
            await using var server = await DkimTestHost.StartAsync(data, deleteOnDispose: false, time);
            await using var cli = await DkimTestHost.StartAsync(data, deleteOnDispose: false, time);
            await server.Accounts.AddDomainAsync("example.com", "test");
            DkimKeyInfo first = (await server.Keys.GetActiveKeyAsync("example.com"))!;
            Assert.Contains($"s={first.Selector};", await server.Signer.SignAsync(DkimTestHost.Message("joe@example.com")));

            DkimKeyInfo second = await cli.Keys.RotateAsync("example.com", "cli");
            await cli.Keys.RetireAsync("example.com", first.Selector, "cli");
            Assert.Contains($"s={second.Selector};", await server.Signer.SignAsync(DkimTestHost.Message("joe@example.com")));

            await cli.Accounts.RemoveDomainAsync("example.com", force: false, "cli");
            Assert.Null(await server.Signer.SignAsync(DkimTestHost.Message("joe@example.com")));
        }
        finally
        {
            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
            try { Directory.Delete(data, recursive: true); } catch (IOException) { }
        }
    }

    // Interop: Debian's python3-dkim (dkimpy) verifies what the outbound signer produced, with the
    // record as DkimKeyService says to publish it (handed over through dkim.verify's dnsfunc, as in
    // tests/Appliance.MailAuth.Tests/Dkim/DkimInteropTests.cs). tests/run.sh installs python3-dkim.
    private const string Python = "/usr/bin/python3";

    private const string VerifyScript = """
        import sys, dkim
        message_path, name, record = sys.argv[1], sys.argv[2], sys.argv[3].encode()
        def dnsfunc(qname, timeout=5):
            qname = qname.decode() if isinstance(qname, bytes) else qname
            return record if qname.rstrip('.').lower() == name else None
        ok = dkim.verify(open(message_path, 'rb').read(), dnsfunc=dnsfunc)
        print('pass' if ok else 'fail')
        sys.exit(0 if ok else 1)
        """;

    [Theory]
    [InlineData(StoredAlgorithm.RsaSha256)]
    [InlineData(StoredAlgorithm.Ed25519Sha256)]
    public async Task Dkimpy_verifies_what_the_outbound_signer_signs(StoredAlgorithm algorithm)
    {
        Assert.True(File.Exists(Python), "python3 is missing: tests/run.sh installs python3-dkim and python3-nacl");
        await using var host = await DkimTestHost.StartAsync(o => o.Algorithm = algorithm);
        await host.Accounts.AddDomainAsync("example.com", "test");
        DkimKeyInfo key = (await host.Keys.GetActiveKeyAsync("example.com"))!;
        byte[] message = DkimTestHost.Message("Joe <joe@example.com>");
        byte[] signed = DkimTestHost.Signed((await host.Signer.SignAsync(message))!, message);

        string directory = Directory.CreateTempSubdirectory("dkim-outbound-interop-").FullName;
        try
        {
            string script = Path.Combine(directory, "verify.py");
            File.WriteAllText(script, VerifyScript);
            string good = Path.Combine(directory, "signed.eml");
            File.WriteAllBytes(good, signed);
            string bad = Path.Combine(directory, "tampered.eml");
            File.WriteAllBytes(bad, Encoding.UTF8.GetBytes(Encoding.UTF8.GetString(signed).Replace("We lost", "We won")));

            // dkimpy joins the strings of a TXT record; the record value is what it gets.
            Assert.Equal((0, "pass"), await RunPythonAsync(script, good, key.RecordName, key.RecordValue));
            Assert.Equal((1, "fail"), await RunPythonAsync(script, bad, key.RecordName, key.RecordValue));
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    private static async Task<(int ExitCode, string Output)> RunPythonAsync(params string[] arguments)
    {
        ProcessStartInfo start = new(Python) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (string argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }
        using Process process = Process.Start(start)!;
        Task<string> stderr = process.StandardError.ReadToEndAsync();
        string stdout = await process.StandardOutput.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await process.WaitForExitAsync(timeout.Token);
        string errors = await stderr;
        Assert.DoesNotContain("No module named", errors);
        return (process.ExitCode, (stdout + errors).Trim());
    }
}
