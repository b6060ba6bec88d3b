using System.Text.Json;
using PinsDaemon.Actors.Jobs;
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
}
