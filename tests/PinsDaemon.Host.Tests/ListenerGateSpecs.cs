using System.Net;
using System.Net.Sockets;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Server.Kestrel.Transport.Sockets;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using PinsDaemon.Host.Activation;

namespace PinsDaemon.Host.Tests;

/// <summary>
/// The gate in front of accept(2), on Kestrel's real socket transport: a client that connects
/// while the gate is closed waits in the listening socket's queue (which systemd keeps across the
/// daemon's exit) and is accepted, not refused or dropped, once someone accepts again.
/// </summary>
public sealed class ListenerGateSpecs
{
    private static readonly TimeSpan Within = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task Should_leave_a_client_that_connects_while_closed_in_the_queue_and_accept_it_when_reopened()
    {
        var gate = new ListenerGate();
        await using var listener = await BindAsync(gate);
        var accepting = listener.AcceptAsync().AsTask();

        await gate.CloseAsync();
        using var client = new TcpClient();
        await client.ConnectAsync((IPEndPoint)listener.EndPoint).WaitAsync(Within);
        // The kernel completed the handshake; nobody accepted it, and nobody will while closed.
        Assert.False(accepting.IsCompleted);
        Assert.Equal(0, gate.OpenConnections);

        gate.Open();
        await using var accepted = await accepting.WaitAsync(Within);
        Assert.NotNull(accepted);
        Assert.Equal(((IPEndPoint)client.Client.LocalEndPoint!).Port, ((IPEndPoint)accepted.RemoteEndPoint!).Port);
        Assert.Equal(1, gate.OpenConnections);
    }

    [Fact]
    public async Task Should_count_a_connection_until_it_closes()
    {
        var gate = new ListenerGate();
        await using var listener = await BindAsync(gate);
        var accepting = listener.AcceptAsync().AsTask();
        using var client = new TcpClient();
        await client.ConnectAsync((IPEndPoint)listener.EndPoint).WaitAsync(Within);
        var accepted = (await accepting.WaitAsync(Within))!;
        Assert.Equal(1, gate.OpenConnections);

        await accepted.DisposeAsync();
        await TestSupport.Eventually.WaitUntilAsync(() => Task.FromResult(gate.OpenConnections == 0));
    }

    [Fact]
    public async Task Should_end_a_waiting_accept_when_the_listener_is_unbound()
    {
        var gate = new ListenerGate();
        await using var listener = await BindAsync(gate);
        var accepting = listener.AcceptAsync().AsTask();
        await gate.CloseAsync();

        await listener.UnbindAsync();
        Assert.Null(await accepting.WaitAsync(Within));
    }

    private static async Task<IConnectionListener> BindAsync(ListenerGate gate)
    {
        var sockets = new SocketTransportFactory(Options.Create(new SocketTransportOptions()), NullLoggerFactory.Instance);
        return await new GatedListenerFactory(sockets, gate).BindAsync(new IPEndPoint(IPAddress.Loopback, 0));
    }
}
