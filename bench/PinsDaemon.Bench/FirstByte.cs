using System.Diagnostics;
using System.Net.Sockets;
using System.Text;

namespace PinsDaemon.Bench;

/// <summary>One HTTP request on a new connection, timed from before connect to the answer's first byte.</summary>
internal static class FirstByte
{
    public static async Task<TimeSpan> MeasureAsync(Uri baseAddress, string path, TimeSpan timeout)
    {
        using var cancel = new CancellationTokenSource(timeout);
        var started = Stopwatch.GetTimestamp();
        using var client = new TcpClient();
        await client.ConnectAsync(baseAddress.Host, baseAddress.Port, cancel.Token);
        var stream = client.GetStream();
        await stream.WriteAsync(Encoding.ASCII.GetBytes($"GET {path} HTTP/1.1\r\nHost: {baseAddress.Authority}\r\nConnection: close\r\n\r\n"), cancel.Token);
        var first = new byte[1];
        if (await stream.ReadAsync(first, cancel.Token) != 1)
        {
            throw new BenchException($"{baseAddress}{path}: the connection closed without an answer");
        }

        var elapsed = Stopwatch.GetElapsedTime(started);
        // Read the rest so the daemon sees a client that took its answer, then closes.
        var rest = new byte[4096];
        while (await stream.ReadAsync(rest, cancel.Token) > 0)
        {
        }

        return elapsed;
    }
}
