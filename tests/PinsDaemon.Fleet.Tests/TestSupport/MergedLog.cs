using System.Net.Http.Headers;
using System.Net.WebSockets;
using System.Text.Json;
using PinsDaemon.Contracts;

namespace PinsDaemon.Fleet.Tests.TestSupport;

/// <summary>A client of the merged log WebSocket, reading until the server closes.</summary>
public static class MergedLog
{
    public static async Task<(List<FleetLogFrame> Frames, WebSocketCloseStatus? Close)> ReadAsync(FleetNode via, string pathAndQuery, TimeSpan timeout)
    {
        using var socket = new ClientWebSocket();
        socket.Options.SetRequestHeader("Authorization", $"Bearer {via.Token}");
        using var cts = new CancellationTokenSource(timeout);
        await socket.ConnectAsync(new Uri($"ws://{via.BaseAddress.Authority}{pathAndQuery}"), cts.Token);
        var frames = new List<FleetLogFrame>();
        var buffer = new byte[64 * 1024];
        var message = new MemoryStream();
        while (true)
        {
            var result = await socket.ReceiveAsync(buffer, cts.Token);
            if (result.MessageType == WebSocketMessageType.Close)
            {
                await socket.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, null, cts.Token);
                return (frames, socket.CloseStatus);
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
