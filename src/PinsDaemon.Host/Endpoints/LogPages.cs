using System.Buffers;
using Akka.Actor;
using PinsDaemon.Actors.Jobs;
using PinsDaemon.Contracts;

namespace PinsDaemon.Host.Endpoints;

/// <summary>
/// Builds one page of <c>GET /jobs/{id}/log</c>: the lines after <c>after</c>, at most
/// <c>limit</c> of them and at most <see cref="MaxPageBytes"/> in all, and whether more lines are
/// there already (the response then links to them). A count alone let one request for 10,000
/// long lines build a 75 MiB answer.
/// </summary>
internal static class LogPages
{
    /// <summary>
    /// 1 MiB: thousands of apt's lines, so a client rarely needs a second page, and small enough
    /// that a few clients paging at once cost the daemon little. The largest line frame (64 KiB
    /// of text, escaped) is far below it, so every page holds at least one line.
    /// </summary>
    public const int MaxPageBytes = 1024 * 1024;

    /// <summary>
    /// Lines asked of the job per round trip. The job answers in lines, not bytes, so this is what
    /// bounds the lines held at once while a page is built: a few hundred KiB for apt's output,
    /// and ~50 MiB only if every line were 64 KiB of escaped bytes.
    /// </summary>
    private const int LinesPerAsk = 256;

    private static ReadOnlySpan<byte> Comma => ","u8;

    public abstract record Result;

    public sealed record Page(ReadOnlyMemory<byte> Json, long LastSeq, bool More) : Result;

    public sealed record NotFound : Result;

    public sealed record Unavailable : Result;

    public static async Task<Result> ReadAsync(IActorRef jobs, JobId jobId, long after, int limit, CancellationToken cancellationToken)
    {
        var json = new ArrayBufferWriter<byte>(4096);
        json.Write("["u8);
        var count = 0;
        var lastSeq = after;
        var more = false;
        while (!more)
        {
            // One more than the page can take, to learn whether lines remain beyond it.
            var wanted = Math.Min(LinesPerAsk, limit - count + 1);
            switch (await jobs.TryAskAsync<JobProtocol.IReadLogReply>(new JobProtocol.ReadLog(jobId, lastSeq, wanted), cancellationToken))
            {
                case JobProtocol.LogPage page:
                    foreach (var line in page.Lines)
                    {
                        var separator = count > 0 ? 1 : 0;
                        if (count == limit || (count > 0 && json.WrittenCount + separator + line.Frame.Length + 1 > MaxPageBytes))
                        {
                            more = true;
                            break;
                        }

                        if (separator > 0)
                        {
                            json.Write(Comma);
                        }

                        json.Write(line.Frame.Span);
                        count++;
                        lastSeq = line.Seq;
                    }

                    if (!more && page.Lines.Count < wanted)
                    {
                        // Every line there is so far.
                        json.Write("]"u8);
                        return new Page(json.WrittenMemory, lastSeq, More: false);
                    }

                    break;
                case JobProtocol.JobNotFound when count == 0:
                    return new NotFound();
                case JobProtocol.JobNotFound:
                    // Pruned while its page was read: serve what was read.
                    json.Write("]"u8);
                    return new Page(json.WrittenMemory, lastSeq, More: false);
                default:
                    return new Unavailable();
            }
        }

        json.Write("]"u8);
        return new Page(json.WrittenMemory, lastSeq, More: true);
    }
}
