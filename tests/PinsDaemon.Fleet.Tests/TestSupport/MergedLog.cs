using System.Net;
using System.Net.WebSockets;
using System.Text.Json;
using PinsDaemon.Contracts;

namespace PinsDaemon.Fleet.Tests.TestSupport;

/// <summary>A client of the merged log WebSocket, reading until the server closes.</summary>
public static class MergedLog
{
    public static async Task<(List<FleetLogFrame> Frames, WebSocketCloseStatus? Close)> ReadAsync(FleetNode via, string pathAndQuery, TimeSpan timeout)
    {
        var (status, frames, close) = await ConnectAsync(via, pathAndQuery, timeout, withToken: true);
        Assert.Equal(HttpStatusCode.SwitchingProtocols, status);
        return (frames, close);
    }

    /// <summary>
    /// Connects as a browser or a script might: with the token in the header or not, with an
    /// Origin or not. The handshake's status, and when it succeeded the frames to the server's close.
    /// </summary>
    public static async Task<(HttpStatusCode Status, List<FleetLogFrame> Frames, WebSocketCloseStatus? Close)> ConnectAsync(
        FleetNode via, string pathAndQuery, TimeSpan timeout, bool withToken, string? origin = null)
    {
        using var socket = new ClientWebSocket();
        socket.Options.CollectHttpResponseDetails = true;
        if (withToken)
        {
            socket.Options.SetRequestHeader("Authorization", $"Bearer {via.Token}");
        }

        if (origin is not null)
        {
            socket.Options.SetRequestHeader("Origin", origin);
        }

        using var cts = new CancellationTokenSource(timeout);
        try
        {
            await socket.ConnectAsync(new Uri($"ws://{via.BaseAddress.Authority}{pathAndQuery}"), cts.Token);
        }
        catch (WebSocketException)
        {
            return (socket.HttpStatusCode, [], null);
        }

        var frames = new List<FleetLogFrame>();
        var buffer = new byte[64 * 1024];
        var message = new MemoryStream();
        while (true)
        {
            var result = await socket.ReceiveAsync(buffer, cts.Token);
            if (result.MessageType == WebSocketMessageType.Close)
            {
                await socket.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, null, cts.Token);
                return (HttpStatusCode.SwitchingProtocols, frames, socket.CloseStatus);
            }

            message.Write(buffer, 0, result.Count);
            if (result.EndOfMessage)
            {
                frames.Add(FleetLogFrame.Parse(message.ToArray()));
                message.SetLength(0);
            }
        }
    }

    /// <summary>A host's own log of one job, through its own REST API (the same line objects as its /logs socket).</summary>
    public static async Task<List<LineFrame>> OwnLogAsync(FleetNode host, string jobId)
    {
        var text = await host.Client.GetStringAsync($"/jobs/{jobId}/log?limit=10000");
        return JsonSerializer.Deserialize<List<LogFrame>>(text, ContractJson.Options)!.Cast<LineFrame>().ToList();
    }
}
