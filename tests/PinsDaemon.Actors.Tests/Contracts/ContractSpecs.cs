using System.Text.Json;
using PinsDaemon.Actors.Streaming;
using PinsDaemon.Contracts;
using Xunit;

namespace PinsDaemon.Actors.Tests.Contracts;

/// <summary>What the daemon writes, a client reads back with the shared contract types.</summary>
public sealed class ContractSpecs
{
    [Fact]
    public void Should_read_a_rendered_line_frame_back_as_the_same_line()
    {
        var time = new DateTimeOffset(2026, 11, 30, 4, 5, 6, TimeSpan.Zero);
        var line = new LogLine(42, LogStream.Stderr, time, "W: caf\u00e9 \"quoted\"");

        var frame = Assert.IsType<LineFrame>(LogFrame.Parse(line.Frame.Span));

        Assert.Equal(new LineFrame(42, LogStream.Stderr, time, "W: caf\u00e9 \"quoted\""), frame);
    }

    [Fact]
    public void Should_refuse_a_frame_of_an_unknown_type()
    {
        Assert.ThrowsAny<JsonException>(() => LogFrame.Parse("{\"type\":\"gossip\",\"seq\":1}"u8));
    }

    [Fact]
    public void Should_write_statuses_as_their_camel_case_names()
    {
        var snapshot = new JobSnapshot(JobId.New(), JobStatus.TimedOut, true, DateTimeOffset.UnixEpoch, null, null, null, 0, null);

        var json = JsonSerializer.SerializeToElement(snapshot, ContractJson.Options);

        Assert.Equal("timedOut", json.GetProperty("status").GetString());
        Assert.Equal(snapshot, JsonSerializer.Deserialize<JobSnapshot>(json, ContractJson.Options)! with { Audit = snapshot.Audit });
    }

    [Fact]
    public void Should_read_a_job_recorded_before_triggers_existed_as_started_over_the_api_and_keep_a_scheduled_one()
    {
        const string older = """{"jobId":"3f2504e0-4f89-41d3-9a0c-0305e82c3301","status":"succeeded","dryRun":true,"createdAt":"2026-11-27T02:07:47+00:00","lineCount":3}""";
        Assert.Equal(JobTriggers.Api, JsonSerializer.Deserialize<JobSnapshot>(older, ContractJson.Options)!.Trigger);

        var check = new JobSnapshot(JobId.New(), JobStatus.Succeeded, true, DateTimeOffset.UnixEpoch, null, null, 0, 3, null) { Trigger = JobTriggers.Schedule };
        var json = JsonSerializer.SerializeToElement(check, ContractJson.Options);
        Assert.Equal("schedule", json.GetProperty("trigger").GetString());
        Assert.Equal(JobTriggers.Schedule, JsonSerializer.Deserialize<JobSnapshot>(json, ContractJson.Options)!.Trigger);
    }

    [Fact]
    public void Should_render_every_frame_kind_so_that_a_client_parses_it_back()
    {
        var id = JobId.New();
        var time = new DateTimeOffset(2026, 11, 30, 4, 5, 6, TimeSpan.Zero);
        LogLine[] lines = [new(1, LogStream.Stdout, time, "one"), new(2, LogStream.Stderr, time, "two")];

        var lineArray = JsonSerializer.Deserialize<LineFrame[]>(LogFrames.LineArray(lines), ContractJson.Options)!;
        Assert.Equal([new LineFrame(1, LogStream.Stdout, time, "one"), new LineFrame(2, LogStream.Stderr, time, "two")], lineArray);

        var buffer = new byte[1024];
        var length = LogFrames.StartLines(buffer);
        length = LogFrames.AppendToLines(buffer, length, lines[0], first: true);
        length = LogFrames.AppendToLines(buffer, length, lines[1], first: false);
        length = LogFrames.EndLines(buffer, length);
        var batch = Assert.IsType<LinesFrame>(LogFrame.Parse(buffer.AsSpan(0, length)));
        Assert.Equal(lineArray, batch.Lines);

        Assert.Equal(new ProgressFrame("install", 42.5, "zip", "Configuring zip"), LogFrame.Parse(LogFrames.Progress(new JobProgress("install", 42.5, "zip", "Configuring zip"))));
        Assert.Equal(new ProgressFrame("update", null, null, "Updating"), LogFrame.Parse(LogFrames.Progress(new JobProgress("update", null, null, "Updating"))));
        Assert.Equal(new EndFrame(JobStatus.TimedOut, 143, 7, "stopped"), LogFrame.Parse(LogFrames.End(new StreamProtocol.LogEnd(id, JobStatus.TimedOut, 143, 7, "stopped"))));
        Assert.Equal(new EndFrame(JobStatus.Interrupted, null, 0, null), LogFrame.Parse(LogFrames.End(new StreamProtocol.LogEnd(id, JobStatus.Interrupted, null, 0, null))));
        var shutdown = Assert.IsType<ShutdownFrame>(LogFrame.Parse(LogFrames.Shutdown(12)));
        Assert.Equal(12, shutdown.LastSeq);
    }

    [Fact]
    public void Should_say_which_supervisor_ran_a_job_and_null_for_old_jobs()
    {
        var old = JsonSerializer.Deserialize<JobSnapshot>("{\"jobId\":\"" + JobId.New() + "\",\"status\":\"succeeded\",\"dryRun\":true,\"createdAt\":\"2026-01-01T00:00:00Z\",\"lineCount\":0}", ContractJson.Options)!;
        Assert.Null(old.Supervisor);
        var json = JsonSerializer.SerializeToElement(old with { Supervisor = "systemd" }, ContractJson.Options);
        Assert.Equal("systemd", json.GetProperty("supervisor").GetString());
    }
}
