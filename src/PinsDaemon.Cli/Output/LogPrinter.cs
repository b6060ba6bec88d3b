using System.Text;
using System.Text.Json;
using PinsDaemon.Contracts;

namespace PinsDaemon.Cli.Output;

/// <summary>
/// Writes a job's log lines to stdout: each line's text (control characters neutralised), or
/// with <c>--json</c> each line object as the API sends it, one per line (NDJSON). Nothing else
/// goes to stdout while a log is printed, so the output is the job's log exactly.
/// </summary>
internal sealed class LogPrinter : IDisposable
{
    /// <summary>64 KiB: a burst of apt output goes out in a few writes rather than one per line.</summary>
    private const int BufferSize = 64 * 1024;

    private readonly StreamWriter _out = new(Console.OpenStandardOutput(), new UTF8Encoding(encoderShouldEmitUTF8Identifier: false), BufferSize)
    {
        AutoFlush = false,
        NewLine = "\n",
    };

    private readonly bool _json;
    private readonly StatusReporter _status;

    public LogPrinter(bool json, StatusReporter status)
    {
        _json = json;
        _status = status;
    }

    /// <summary>Prints the lines and flushes them, so what a person sees is never behind what arrived.</summary>
    public void Print(IReadOnlyList<LineFrame> lines)
    {
        if (lines.Count == 0)
        {
            return;
        }

        // .NET's console stream ignores EPIPE, so a reader that went away (pins logs ID | head)
        // costs nothing here: the writes just go nowhere.
        using var scope = _status.WritingOutput();
        foreach (var line in lines)
        {
            _out.WriteLine(_json ? JsonSerializer.Serialize<LogFrame>(line, ContractJson.Options) : ControlCharacters.Neutralize(line.Text));
        }

        _out.Flush();
    }

    public void Dispose() => _out.Dispose();
}
