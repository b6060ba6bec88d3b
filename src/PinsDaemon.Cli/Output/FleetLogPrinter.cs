using System.Text;
using System.Text.Json;
using PinsDaemon.Contracts;

namespace PinsDaemon.Cli.Output;

/// <summary>
/// Writes a rollout's merged log to stdout, each line with its host: <c>pi-2  | text</c> (host
/// names padded to the longest of the rollout, control characters neutralised), or with
/// <c>--json</c> each line object as the API sends it, host included, one per line (NDJSON).
/// </summary>
internal sealed class FleetLogPrinter : IDisposable
{
    /// <summary>64 KiB: a line the daemon sends (at most 64 KiB of text) goes out in one write.</summary>
    private const int BufferSize = 64 * 1024;

    private readonly StreamWriter _out = new(Console.OpenStandardOutput(), new UTF8Encoding(encoderShouldEmitUTF8Identifier: false), BufferSize)
    {
        AutoFlush = false,
        NewLine = "\n",
    };

    private readonly bool _json;
    private readonly int _hostWidth;
    private readonly StatusReporter _status;

    public FleetLogPrinter(bool json, IEnumerable<string> hosts, StatusReporter status)
    {
        _json = json;
        _hostWidth = hosts.Select(host => host.Length).DefaultIfEmpty(0).Max();
        _status = status;
    }

    /// <summary>Prints the line and flushes it, so what a person sees is never behind what arrived.</summary>
    public void Print(FleetLineFrame line)
    {
        using var scope = _status.WritingOutput();
        _out.WriteLine(_json
            ? JsonSerializer.Serialize<FleetLogFrame>(line, ContractJson.Options)
            : $"{ControlCharacters.Neutralize(line.Host).PadRight(_hostWidth)} | {ControlCharacters.Neutralize(line.Text)}");
        _out.Flush();
    }

    public void Dispose() => _out.Dispose();
}
