using System.IO.Compression;
using System.Net;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.Options;
using PinsDaemon.Contracts;
using PinsDaemon.Host.AptHistory;
using PinsDaemon.Host.HostStatus;
using PinsDaemon.Host.Tests.TestSupport;

namespace PinsDaemon.Host.Tests;

/// <summary>apt's history log: real Debian 12 / apt 2.6 files (tests/fixtures/apt-history) and hostile ones.</summary>
public sealed class AptHistorySpecs
{
    private static readonly string Fixtures = Path.Combine(AppContext.BaseDirectory, "fixtures", "apt-history");

    private static AptHistoryReader Reader(string historyLog) =>
        new(Options.Create(new HostStatusOptions { AptHistoryLog = historyLog }), TimeZoneInfo.Utc);

    private static async Task<List<AptHistoryEntry>> ReadAllAsync(AptHistoryReader reader, int pageSize)
    {
        var all = new List<AptHistoryEntry>();
        int? offset = 0;
        while (offset is { } next)
        {
            var page = await reader.ReadPageAsync(next, pageSize, CancellationToken.None);
            all.AddRange(page.Entries);
            offset = page.NextOffset;
        }

        return all;
    }

    [Fact]
    public async Task Should_list_every_run_of_the_log_and_its_rotated_files_newest_first()
    {
        var page = await Reader(Path.Combine(Fixtures, "history.log")).ReadPageAsync(0, 50, CancellationToken.None);
        Assert.Equal(8, page.Total);
        Assert.Equal(0, page.Skipped);
        Assert.False(page.Truncated);
        Assert.Null(page.NextOffset);
        Assert.Equal(page.Entries.OrderByDescending(e => e.Start).Select(e => e.CommandLine), page.Entries.Select(e => e.CommandLine));

        var autoremove = page.Entries[0];
        Assert.Equal("apt-get autoremove -y", autoremove.CommandLine);
        Assert.Equal(new AptRequester("pi", 1000), autoremove.RequestedBy);
        Assert.Equal(new DateTimeOffset(2026, 11, 30, 5, 5, 1, TimeSpan.Zero), autoremove.Start);
        Assert.Equal(new AptHistoryPackage("libtext-charwidth-perl", "amd64", "remove", "0.04-11", null, false), autoremove.Packages[0]);

        var downgrade = page.Entries.Single(e => e.Packages.Any(p => p.Action == "downgrade")).Packages.Single();
        Assert.Equal(("3.0-13+deb12u1", "3.0-13"), (downgrade.From, downgrade.To));
        var unattended = page.Entries.Single(e => e.CommandLine == "/usr/bin/unattended-upgrade -v");
        Assert.Null(unattended.RequestedBy);
        Assert.Equal(new AptHistoryPackage("zip", "amd64", "upgrade", "3.0-13", "3.0-13+deb12u1", false), unattended.Packages.Single());
        var sl = page.Entries.Single(e => e.CommandLine == "apt-get install -y sl");
        Assert.Equal([true, false, true], sl.Packages.Select(p => p.Automatic));
        Assert.Equal("apt-get install -y zip=3.0-13", page.Entries[^1].CommandLine);
    }

    [Fact]
    public async Task Should_page_without_gaps_or_duplicates()
    {
        var reader = Reader(Path.Combine(Fixtures, "history.log"));
        var whole = (await reader.ReadPageAsync(0, 200, CancellationToken.None)).Entries;
        Assert.Equal(8, whole.Count);
        foreach (var size in new[] { 1, 2, 3, 5 })
        {
            Assert.Equal(Json(whole), Json(await ReadAllAsync(reader, size)));
        }

        var last = await reader.ReadPageAsync(6, 3, CancellationToken.None);
        Assert.Equal(2, last.Entries.Count);
        Assert.Null(last.NextOffset);
        Assert.Empty((await reader.ReadPageAsync(100, 3, CancellationToken.None)).Entries);
    }

    private static string Json(IEnumerable<AptHistoryEntry> entries) => JsonSerializer.Serialize(entries, ContractJson.Options);

    [Fact]
    public async Task Should_read_this_machines_own_history()
    {
        var path = Path.Combine(Fixtures, "this-machine", "history.log");
        var page = await Reader(path).ReadPageAsync(0, 200, CancellationToken.None);
        Assert.Equal(File.ReadLines(path).Count(line => line.StartsWith("Start-Date: ", StringComparison.Ordinal)), page.Total);
        Assert.Equal(0, page.Skipped);
        var big = page.Entries.MaxBy(e => e.PackageCount)!;
        Assert.Equal(big.PackageCount, big.Packages.Count);
        Assert.True(big.PackageCount > 150);
        Assert.All(page.Entries, e => Assert.NotNull(e.End));

        // Purging what a remove left behind: apt writes no version, "pinsdaemon:amd64 ()".
        var purge = page.Entries.First(e => e.CommandLine == "apt-get purge -y pinsdaemon" && e.Packages.Single().From is null).Packages.Single();
        Assert.Equal(new AptHistoryPackage("pinsdaemon", "amd64", "purge", null, null, false), purge);
        Assert.Contains(page.Entries.SelectMany(e => e.Packages), p => p.Package == "libc6" && p.Arch == "arm64");
    }

    [Fact]
    public async Task Should_skip_and_count_malformed_entries_and_keep_the_rest()
    {
        var dir = Directory.CreateTempSubdirectory("pinsdaemon-apt-history-");
        try
        {
            var log = Path.Combine(dir.FullName, "history.log");
            File.WriteAllText(log, string.Join('\n',
                "",
                "Start-Date: 2026-11-30  05:04:53",
                "Commandline: apt-get install -y zip",
                "Install: zip:amd64 (3.0-13)",
                "End-Date: 2026-11-30  05:04:53",
                "",
                "Start-Date: yesterday",
                "Install: sl:amd64 (5.02-1+b1)",
                "",
                "Commandline: no start date",
                "",
                "Start-Date: 2026-11-30  05:04:54",
                "Upgrade: zip:amd64 (3.0-13)",
                "",
                "Start-Date: 2026-11-30  05:04:55",
                "this line has no key",
                "",
                "\u0000\u0001\u00ff garbage",
                "Start-Date: 2026-11-30  05:04:56",
                "Commandline: apt-get purge -y sl",
                "Purge: sl:amd64 (5.02-1+b1)",
                "Some-Future-Field: ignored",
                "Start-Date: 2026-11-30  05:04:57",
                "Commandline: apt-get install -y cowsay",
                ""));
            var page = await Reader(log).ReadPageAsync(0, 50, CancellationToken.None);
            Assert.Equal(["apt-get install -y cowsay", "apt-get purge -y sl", "apt-get install -y zip"], page.Entries.Select(e => e.CommandLine));
            Assert.Equal(5, page.Skipped);
            Assert.Null(page.Entries[0].End);

            // Served over HTTP the same way: never a 500.
            await using var daemon = await DaemonFixture.StartAsync("channel-dry-run.sh", $"--Host:AptHistoryLog={log}");
            var body = await daemon.Client.GetFromJsonAsync<JsonElement>("/host/apt-history?limit=2");
            Assert.Equal(3, body.GetProperty("total").GetInt32());
            Assert.Equal(5, body.GetProperty("skipped").GetInt32());
            Assert.Equal(2, body.GetProperty("nextOffset").GetInt32());
            Assert.Equal("apt-get purge -y sl", body.GetProperty("entries")[1].GetProperty("commandLine").GetString());
            foreach (var bad in new[] { "limit=0", "limit=201", "offset=-1", "limit=x", "offset=1&offset=2" })
            {
                using var response = await daemon.Client.GetAsync($"/host/apt-history?{bad}");
                Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
            }
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }

    [Fact]
    public async Task Should_bound_the_work_of_a_huge_line_and_a_compression_bomb()
    {
        var dir = Directory.CreateTempSubdirectory("pinsdaemon-apt-history-");
        try
        {
            var log = Path.Combine(dir.FullName, "history.log");
            File.WriteAllText(log, "\nStart-Date: 2026-11-30  05:04:53\nCommandline: " + new string('x', 2 * AptHistoryReader.MaxLineBytes) + "\nEnd-Date: 2026-11-30  05:04:53\n\n"
                + "Start-Date: 2026-11-30  05:05:53\nCommandline: apt-get update\nEnd-Date: 2026-11-30  05:05:53\n");

            // history.log.1.gz: one valid entry, then more decompressed bytes than a file may have.
            await using (var gz = new GZipStream(File.Create(log + ".1.gz"), CompressionLevel.Fastest))
            {
                gz.Write(Encoding.UTF8.GetBytes("\nStart-Date: 2026-10-01  00:00:00\nCommandline: old\nEnd-Date: 2026-10-01  00:00:00\n\n"));
                var blank = new byte[1024 * 1024];
                Array.Fill(blank, (byte)'\n');
                for (var i = 0; i <= AptHistoryReader.MaxBytesPerFile / blank.Length; i++)
                {
                    gz.Write(blank);
                }
            }

            // history.log.2.gz is older than the bomb, so it is not read either.
            await using (var gz = new GZipStream(File.Create(log + ".2.gz"), CompressionLevel.Fastest))
            {
                gz.Write(Encoding.UTF8.GetBytes("Start-Date: 2026-09-01  00:00:00\nCommandline: older\n"));
            }

            File.WriteAllText(log + ".3.gz", "not gzip at all");
            var page = await Reader(log).ReadPageAsync(0, 50, CancellationToken.None);

            Assert.Equal(["apt-get update"], page.Entries.Select(e => e.CommandLine));
            Assert.Equal(1, page.Skipped);
            Assert.True(page.Truncated);
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }

    [Fact]
    public async Task Should_answer_an_empty_page_when_there_is_no_history()
    {
        var page = await Reader("/nonexistent/apt/history.log").ReadPageAsync(0, 50, CancellationToken.None);
        Assert.Equal((0, 0, false), (page.Total, page.Entries.Count, page.Truncated));
    }

    [Theory]
    [InlineData("history.log")]
    [InlineData("/var/log/apt/")]
    public async Task Should_refuse_to_start_with_a_history_log_that_is_not_an_absolute_file_path(string path)
    {
        await using var app = DaemonFixture.Build(["--urls", "http://127.0.0.1:0", $"--API_TOKEN={DaemonFixture.NewToken()}", "--Upgrade:UseSudo=false", $"--Storage:Directory={DaemonFixture.NewStorageDirectory()}", $"--Host:AptHistoryLog={path}"]);
        var error = await Assert.ThrowsAsync<OptionsValidationException>(() => app.StartAsync());
        Assert.Contains("Host:AptHistoryLog must be an absolute path to a file", error.Message);
    }

    [Fact]
    public void Should_list_rotated_files_in_logrotate_order()
    {
        var files = AptHistoryReader.HistoryFiles(Path.Combine(Fixtures, "history.log"));
        Assert.Equal(["history.log", "history.log.1.gz", "history.log.2.gz"], files.Select(f => Path.GetFileName(f.Path)));
    }
}
