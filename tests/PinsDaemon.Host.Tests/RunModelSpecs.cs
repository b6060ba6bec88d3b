using System.Net;
using System.Net.Http.Headers;
using System.Net.WebSockets;
using System.Text.Json;
using PinsDaemon.Host.Tests.TestSupport;

namespace PinsDaemon.Host.Tests;

/// <summary>
/// The run model with a real daemon process and real scripts (<c>Upgrade:UseSudo=false</c>: the
/// daemon starts the script detached, with the same files and re-attach code a production run
/// uses): the run outlives the daemon, and the daemon finds it again.
/// </summary>
public sealed class RunModelSpecs
{
    /// <summary>
    /// 50 lines and one on stderr, then waits for the test's go file, then 50 more and exits 0.
    /// Speaks the status channel, as the real script does in the foreground.
    /// </summary>
    private static string WaitingScript(string storage) => TestRuns.WriteScript(Path.Combine(storage, "scripts"), "waiting.sh", $$"""
        N=0123456789abcdef0123456789abcdef
        s() { echo "pinsdaemon-status $N $*"; }
        echo "pinsdaemon: channel $N"
        s "phase update"
        for i in $(seq 1 50); do echo "line $i"; done
        echo "to stderr" >&2
        while [ ! -e '{{GoFile(storage)}}' ]; do sleep 0.05; done
        for i in $(seq 51 100); do echo "line $i"; done
        s "exit 0"
        """);

    private static string GoFile(string storage) => Path.Combine(storage, "go");

    private static readonly string[] Expected =
        [.. Enumerable.Range(1, 50).Select(i => $"line {i}"), "to stderr", .. Enumerable.Range(51, 50).Select(i => $"line {i}")];

    [Fact]
    public async Task Should_follow_a_run_across_a_SIGKILL_of_the_daemons_process_group_and_give_a_client_every_line_once()
    {
        var storage = DaemonFixture.NewStorageDirectory();
        var token = DaemonFixture.NewToken();
        var script = WaitingScript(storage);
        try
        {
            string jobId;
            var received = new List<JsonElement>();
            using (var crashing = await DaemonProcess.StartAsync(script, storage, token, ownProcessGroup: true))
            {
                using var client = crashing.Client(token);
                jobId = await DaemonProcess.StartDryRunAsync(client);
                using var socket = await ConnectAsync(crashing.BaseAddress, token, $"/logs/{jobId}");
                received.AddRange(await ReadLinesAsync(socket, 51));
                // Everything the daemon started in its group dies with it, as on Ctrl-C or a
                // stop with the process group: the run is in a session of its own.
                crashing.KillGroup();
            }

            Assert.True(TestRuns.IsAlive(TestRuns.Pid(storage, jobId)!.Value), "the run should outlive the daemon's process group");

            await using var restarted = await DaemonFixture.StartWithStorageAsync(script, storage, token);
            var job = await restarted.GetJobAsync(jobId);
            Assert.Equal("running", job.GetProperty("status").GetString());
            Assert.Equal("detached", job.GetProperty("supervisor").GetString());

            var after = received[^1].GetProperty("seq").GetInt64();
            using var resumed = await restarted.ConnectAsync($"/logs/{jobId}?after={after}");
            await File.WriteAllTextAsync(GoFile(storage), string.Empty);
            var rest = await DaemonFixture.ReadAllAsync(resumed);
            received.AddRange(rest.Lines);

            Assert.Equal("succeeded", rest.End.GetProperty("status").GetString());
            AssertEveryLineOnce(received);
            Assert.Equal(101, (await restarted.GetJobAsync(jobId)).GetProperty("lineCount").GetInt64());
        }
        finally
        {
            await TestRuns.DeleteStorageAsync(storage);
        }
    }

    [Fact]
    public async Task Should_finish_a_job_from_its_exit_record_when_the_run_ended_while_the_daemon_was_down()
    {
        var storage = DaemonFixture.NewStorageDirectory();
        var token = DaemonFixture.NewToken();
        var script = WaitingScript(storage);
        try
        {
            var jobId = await StartAndKillMidRunAsync(script, storage, token);
            await File.WriteAllTextAsync(GoFile(storage), string.Empty);
            var exit = TestRuns.FilePath(storage, jobId, "exit");
            await Eventually.WaitUntilAsync(() => Task.FromResult(File.Exists(exit)));
            var ended = new DateTimeOffset(File.GetLastWriteTimeUtc(exit), TimeSpan.Zero);

            await using var restarted = await DaemonFixture.StartWithStorageAsync(script, storage, token);
            var job = await restarted.WaitForEndAsync(jobId);
            Assert.Equal("succeeded", job.GetProperty("status").GetString());
            Assert.Equal(101, job.GetProperty("lineCount").GetInt64());
            // When the run ended, not when the daemon came back and learned of it.
            Assert.Equal(ended, job.GetProperty("finishedAt").GetDateTimeOffset());
            using var socket = await restarted.ConnectAsync($"/logs/{jobId}");
            var read = await DaemonFixture.ReadAllAsync(socket);
            AssertEveryLineOnce(read.Lines);
            Assert.Equal(101, read.End.GetProperty("lastSeq").GetInt64());
        }
        finally
        {
            await TestRuns.DeleteStorageAsync(storage);
        }
    }

    [Fact]
    public async Task Should_report_a_run_that_is_gone_without_an_exit_record_as_interrupted_runnerLost()
    {
        var storage = DaemonFixture.NewStorageDirectory();
        var token = DaemonFixture.NewToken();
        var script = WaitingScript(storage);
        try
        {
            var jobId = await StartAndKillMidRunAsync(script, storage, token);
            TestRuns.Kill(TestRuns.Pid(storage, jobId)!.Value);

            await using var restarted = await DaemonFixture.StartWithStorageAsync(script, storage, token);
            var job = await restarted.WaitForEndAsync(jobId);
            Assert.Equal("interrupted", job.GetProperty("status").GetString());
            Assert.Equal("runnerLost", job.GetProperty("reason").GetString());
            // The API document describes this answer too: the reason and the supervisor are in its lists.
            var checker = await OpenApiChecker.LoadAsync(restarted);
            await checker.CheckAsync(restarted.Client, HttpMethod.Get, $"/jobs/{jobId}", "/jobs/{jobId}", HttpStatusCode.OK);
            Assert.Equal(JsonValueKind.Null, job.GetProperty("exitCode").ValueKind);
            Assert.Equal(JsonValueKind.Null, job.GetProperty("plan").ValueKind);
            Assert.Equal(51, job.GetProperty("lineCount").GetInt64());

            // It no longer blocks new jobs. (Wait for the new run's output, so the clean-up
            // below finds it: a launch still under way would outlive the test.)
            var next = (await restarted.StartJobAsync()).GetProperty("jobId").GetString()!;
            await Eventually.WaitUntilAsync(async () => (await restarted.GetJobAsync(next)).GetProperty("lineCount").GetInt64() > 0);
        }
        finally
        {
            await TestRuns.DeleteStorageAsync(storage);
        }
    }

    [Theory]
    // A machine's reboot: the kernel's boot id changes.
    [InlineData("boot_id", "00000000-0000-4000-8000-000000000000")]
    // A container's reboot: the kernel (and its boot id) stays, PID 1 is new.
    [InlineData("init_start", "1")]
    public async Task Should_report_a_run_from_an_earlier_boot_as_interrupted_rebootDuringRun(string field, string otherBoot)
    {
        var storage = DaemonFixture.NewStorageDirectory();
        var token = DaemonFixture.NewToken();
        var script = WaitingScript(storage);
        try
        {
            var jobId = await StartAndKillMidRunAsync(script, storage, token);
            // As after a power cut: the record names another boot, and there is no exit record.
            var record = TestRuns.FilePath(storage, jobId, "run");
            var text = await File.ReadAllTextAsync(record);
            Assert.Matches($"{field}=[0-9a-f]", text);
            await File.WriteAllTextAsync(record, System.Text.RegularExpressions.Regex.Replace(text, $"{field}=\\S+", $"{field}={otherBoot}"));

            await using var restarted = await DaemonFixture.StartWithStorageAsync(script, storage, token);
            var job = await restarted.WaitForEndAsync(jobId);
            Assert.Equal("interrupted", job.GetProperty("status").GetString());
            Assert.Equal("rebootDuringRun", job.GetProperty("reason").GetString());
            Assert.Contains("restarted", job.GetProperty("message").GetString());
            var checker = await OpenApiChecker.LoadAsync(restarted);
            await checker.CheckAsync(restarted.Client, HttpMethod.Get, $"/jobs/{jobId}", "/jobs/{jobId}", HttpStatusCode.OK);
        }
        finally
        {
            await TestRuns.DeleteStorageAsync(storage);
        }
    }

    [Theory]
    [InlineData("cancel", "cancelled")]
    [InlineData("timeout", "timedOut")]
    public async Task Should_stop_a_dry_run_during_its_simulation(string how, string status)
    {
        var storage = DaemonFixture.NewStorageDirectory();
        var script = TestRuns.WriteScript(Path.Combine(storage, "scripts"), "simulating.sh", """
            N=0123456789abcdef0123456789abcdef
            s() { echo "pinsdaemon-status $N $*"; }
            trap 'kill "$!" 2>/dev/null; s "stopped TERM simulate"; s "exit 143"; exit 143' TERM
            echo "pinsdaemon: channel $N"
            s "phase update"
            s "phase simulate"
            echo "simulating"
            sleep 30 &
            wait $!
            """);
        string[] extra = how == "timeout" ? ["--Upgrade:Timeout=00:00:02"] : [];
        await using var daemon = await DaemonFixture.StartWithStorageAsync(script, storage, null, extra);
        var jobId = (await daemon.StartJobAsync()).GetProperty("jobId").GetString()!;
        await Eventually.WaitUntilAsync(async () => (await daemon.GetJobAsync(jobId)).GetProperty("lineCount").GetInt64() == 1);

        if (how == "cancel")
        {
            using var cancel = await daemon.Client.PostAsync($"/jobs/{jobId}/cancel", null);
            Assert.Equal(HttpStatusCode.Accepted, cancel.StatusCode);
        }

        var job = await daemon.WaitForEndAsync(jobId);
        Assert.Equal(status, job.GetProperty("status").GetString());
        Assert.Equal(status, job.GetProperty("reason").GetString());
        Assert.Contains("simulate", job.GetProperty("message").GetString());
        Assert.Equal(JsonValueKind.Null, job.GetProperty("plan").ValueKind);
        Assert.Equal(143, job.GetProperty("exitCode").GetInt32());
        await daemon.DisposeAsync();
        await TestRuns.DeleteStorageAsync(storage);
    }

    [Fact]
    public async Task Should_run_cancel_and_read_status_events_through_sudo_with_exactly_the_three_forms()
    {
        var storage = DaemonFixture.NewStorageDirectory();
        var runs = storage + "-runs";
        var argv = Path.Combine(storage, "sudo-argv");
        // Stands in for sudo and the root launcher: records its argv, writes the run's files as
        // the launcher and worker would, and signals the run on --cancel.
        var sudo = TestRuns.WriteScript(Path.Combine(storage, "bin"), "fake-sudo.sh", $$"""
            printf '%s\n' "$@" >> '{{argv}}'
            runs='{{runs}}'
            case $4 in
                --dry-run) mode=dry-run ;;
                --apply) mode=apply ;;
                --cancel)
                    for r in "$runs"/*-"$6".run; do kill -TERM "$(sed 's/.*pid=\([0-9]*\).*/\1/' "$r")"; done
                    exit 0
                    ;;
            esac
            mkdir -p "$runs"
            n=$mode-$6
            : >"$runs/$n.out"; : >"$runs/$n.err"; : >"$runs/$n.status"
            setsid bash -c '
                d=$1 n=$2
                finish() { echo "exit $1" >>"$d/$n.status"; echo "result=x exit_code=exited exit_status=$1" >"$d/$n.exit.tmp"; mv "$d/$n.exit.tmp" "$d/$n.exit"; exit "$1"; }
                trap "echo \"stopped TERM update\" >>\"\$d/\$n.status\"; finish 143" TERM
                echo "phase update" >>"$d/$n.status"
                echo "Inst forged [1] (2 Debian:12 [amd64])" >>"$d/$n.out"
                echo "plan Inst zip [3.0-13] (3.0-14 Debian:12 [amd64])" >>"$d/$n.status"
                echo "pinsdaemon: channel 0123456789abcdef0123456789abcdef" >>"$d/$n.out"
                for i in $(seq 1 600); do sleep 0.05; [ -e "$d/go" ] && finish 0; done
                finish 0
            ' worker "$runs" "$n" </dev/null >/dev/null 2>&1 &
            echo "supervisor=detached pid=$! boot_id=$(cat /proc/sys/kernel/random/boot_id) mode=$mode started=$(date +%s)" >"$runs/$n.run"
            """);
        const string scriptPath = "/nonexistent/pinsdaemon/system-upgrade.sh";
        await using var daemon = await DaemonFixture.StartWithStorageAsync(
            "slow.sh", storage, null, "--Upgrade:UseSudo=true", $"--Upgrade:SudoPath={sudo}", $"--Upgrade:ScriptPath={scriptPath}", $"--Upgrade:RunsDirectory={runs}");

        var first = (await daemon.StartJobAsync()).GetProperty("jobId").GetString()!;
        await Eventually.WaitUntilAsync(async () => (await daemon.GetJobAsync(first)).GetProperty("lineCount").GetInt64() == 2);
        Assert.Equal("detached", (await daemon.GetJobAsync(first)).GetProperty("supervisor").GetString());
        await File.WriteAllTextAsync(Path.Combine(runs, "go"), string.Empty);
        var done = await daemon.WaitForEndAsync(first);
        Assert.Equal("succeeded", done.GetProperty("status").GetString());
        // The plan comes from the status file; package output (stdout) cannot forge one, nor
        // open a status channel.
        Assert.Equal(["zip"], done.GetProperty("plan").EnumerateArray().Select(p => p.GetProperty("package").GetString()));
        File.Delete(Path.Combine(runs, "go"));

        var second = (await daemon.StartJobAsync(dryRun: false)).GetProperty("jobId").GetString()!;
        await Eventually.WaitUntilAsync(async () => (await daemon.GetJobAsync(second)).GetProperty("lineCount").GetInt64() == 2);
        using (var cancel = await daemon.Client.PostAsync($"/jobs/{second}/cancel", null))
        {
            Assert.Equal(HttpStatusCode.Accepted, cancel.StatusCode);
        }

        var cancelled = await daemon.WaitForEndAsync(second);
        Assert.Equal("cancelled", cancelled.GetProperty("status").GetString());
        Assert.Equal(0, cancelled.GetProperty("upgraded").GetArrayLength());

        Assert.Equal(
            [
                "-n", "--", scriptPath, "--dry-run", "--job", first,
                "-n", "--", scriptPath, "--apply", "--job", second,
                "-n", "--", scriptPath, "--cancel", "--job", second,
            ],
            await File.ReadAllLinesAsync(argv));
        await daemon.DisposeAsync();
        Directory.Delete(runs, recursive: true);
        await TestRuns.DeleteStorageAsync(storage);
    }

    private static async Task<string> StartAndKillMidRunAsync(string script, string storage, string token)
    {
        using var crashing = await DaemonProcess.StartAsync(script, storage, token, ownProcessGroup: true);
        using var client = crashing.Client(token);
        var jobId = await DaemonProcess.StartDryRunAsync(client);
        await Eventually.WaitUntilAsync(async () => (await client.GetFromJsonAsync<JsonElement>($"/jobs/{jobId}")).GetProperty("lineCount").GetInt64() == 51);
        crashing.KillGroup();
        return jobId;
    }

    private static void AssertEveryLineOnce(IReadOnlyList<JsonElement> lines)
    {
        Assert.Equal(Enumerable.Range(1, 101).Select(n => (long)n), lines.Select(l => l.GetProperty("seq").GetInt64()));
        // stdout in its order; the stderr line wherever the daemon read it, once.
        Assert.Equal(Expected.Where(t => t != "to stderr"), lines.Where(l => l.GetProperty("stream").GetString() == "stdout").Select(l => l.GetProperty("text").GetString()));
        Assert.Equal(["to stderr"], lines.Where(l => l.GetProperty("stream").GetString() == "stderr").Select(l => l.GetProperty("text").GetString()));
    }

    private static async Task<ClientWebSocket> ConnectAsync(Uri baseAddress, string token, string path)
    {
        var socket = new ClientWebSocket();
        socket.Options.SetRequestHeader("Authorization", $"Bearer {token}");
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        await socket.ConnectAsync(new Uri($"ws://{baseAddress.Authority}{path}"), timeout.Token);
        return socket;
    }

    /// <summary>Reads line frames until <paramref name="count"/> have arrived.</summary>
    private static async Task<List<JsonElement>> ReadLinesAsync(ClientWebSocket socket, int count)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        var lines = new List<JsonElement>();
        var buffer = new byte[64 * 1024];
        var message = new MemoryStream();
        while (lines.Count < count)
        {
            var result = await socket.ReceiveAsync(buffer, timeout.Token);
            message.Write(buffer, 0, result.Count);
            if (result.EndOfMessage)
            {
                var frame = JsonDocument.Parse(message.ToArray()).RootElement.Clone();
                message.SetLength(0);
                if (frame.GetProperty("type").GetString() == "line")
                {
                    lines.Add(frame);
                }
            }
        }

        return lines;
    }
}
