using System.Net;
using System.Net.Sockets;

namespace PinsDaemon.Cli.Tests.TestSupport;

/// <summary>
/// A loopback TCP relay in front of a daemon, so a test can cut every open connection at once,
/// as a Wi-Fi drop or a NAT timeout does, while the daemon goes on.
/// </summary>
public sealed class TcpRelay : IAsyncDisposable
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly IPEndPoint _target;
    private readonly List<(TcpClient Client, TcpClient Upstream)> _open = [];
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _accepting;

    public TcpRelay(Uri target)
    {
        _target = new IPEndPoint(IPAddress.Parse(target.Host), target.Port);
        _listener.Start();
        _accepting = AcceptAsync();
    }

    public Uri Address => new($"http://127.0.0.1:{((IPEndPoint)_listener.LocalEndpoint).Port}/");

    /// <summary>Connections relayed so far, cut ones included.</summary>
    public int Accepted { get; private set; }

    /// <summary>Resets every open connection (RST, no close handshake).</summary>
    public void DropAll()
    {
        lock (_open)
        {
            foreach (var (client, upstream) in _open)
            {
                client.Client.LingerState = new LingerOption(true, 0);
                client.Close();
                upstream.Close();
            }

            _open.Clear();
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _listener.Stop();
        DropAll();
        try
        {
            await _accepting;
        }
        catch (Exception ex) when (ex is OperationCanceledException or SocketException or ObjectDisposedException)
        {
            // Stopped.
        }
    }

    private async Task AcceptAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            var client = await _listener.AcceptTcpClientAsync(_stop.Token);
            var upstream = new TcpClient();
            await upstream.ConnectAsync(_target, _stop.Token);
            lock (_open)
            {
                _open.Add((client, upstream));
                Accepted++;
            }

            _ = PipeAsync(client, upstream);
            _ = PipeAsync(upstream, client);
        }
    }

    private static async Task PipeAsync(TcpClient from, TcpClient to)
    {
        try
        {
            await from.GetStream().CopyToAsync(to.GetStream());
            to.Client.Shutdown(SocketShutdown.Send);
        }
        catch (Exception ex) when (ex is IOException or SocketException or ObjectDisposedException or InvalidOperationException)
        {
            // Cut by DropAll, or closed by either side.
        }
    }
}
