using System.Net.Http.Headers;
using System.Net.WebSockets;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;

namespace PinsDaemon.Host.Tests.TestSupport;

/// <summary>
/// The real daemon, built as Program.cs builds it, listening on a free loopback port and
/// running a real shell script from <c>scripts/</c> without sudo.
/// </summary>
public sealed class DaemonFixture : IAsyncDisposable
{
    private DaemonFixture(WebApplication app, Uri baseAddress, string token, CapturingLoggerProvider logs, string storage, bool ownsStorage)
    {
        StorageDirectory = storage;
        _ownsStorage = ownsStorage;
        App = app;
        BaseAddress = baseAddress;
        Token = token;
        Logs = logs;
        Client = new HttpClient { BaseAddress = baseAddress };
        Client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        Anonymous = new HttpClient { BaseAddress = baseAddress };
    }

    private readonly bool _ownsStorage;

    public WebApplication App { get; }

    /// <summary>Where this daemon keeps its jobs; pass it to another daemon to simulate a restart.</summary>
    public string StorageDirectory { get; }

    public Uri BaseAddress { get; }

    public string Token { get; }

    public CapturingLoggerProvider Logs { get; }

    /// <summary>Sends the right token on every request.</summary>
    public HttpClient Client { get; }

    /// <summary>Sends no token.</summary>
    public HttpClient Anonymous { get; }

    /// <summary>A script from <c>scripts/</c> by name, or a script a test wrote, by its absolute path.</summary>
    public static string ScriptPath(string name)
    {
        if (Path.IsPathRooted(name))
        {
            return name;
        }

        var path = Path.Combine(AppContext.BaseDirectory, "scripts", name);
        // The build copies scripts without their mode bits.
        File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute | UnixFileMode.GroupRead | UnixFileMode.GroupExecute | UnixFileMode.OtherRead | UnixFileMode.OtherExecute);
        return path;
    }

    public static string NewToken() => Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)).TrimEnd('=').Replace('+', '-').Replace('/', '_');

    /// <summary>Builds the host from <paramref name="args"/> the way Program.cs does, without starting it.</summary>
    /// <param name="services">Replaces services after the daemon's own (e.g. where host facts are read from).</param>
    public static WebApplication Build(string[] args, CapturingLoggerProvider? logs = null, Action<IServiceCollection>? services = null)
    {
        var builder = DaemonApp.CreateBuilder(args);
        if (logs is not null)
        {
            builder.Logging.AddProvider(logs);
        }

        services?.Invoke(builder.Services);

        return DaemonApp.Build(builder);
    }

    public static Task<DaemonFixture> StartAsync(string script, params string[] extraArgs) =>
        StartWithStorageAsync(script, storage: null, token: null, extraArgs);

    public static string NewStorageDirectory() =>
        Path.Combine(Path.GetTempPath(), "pinsdaemon-tests", Guid.NewGuid().ToString("N"));

    /// <param name="storage">An existing daemon's storage directory (a restart), or null for a fresh one.</param>
    public static Task<DaemonFixture> StartWithStorageAsync(string script, string? storage, string? token, params string[] extraArgs) =>
        StartWithServicesAsync(script, storage, token, services: null, extraArgs);

    public static async Task<DaemonFixture> StartWithServicesAsync(string script, string? storage, string? token, Action<IServiceCollection>? services, params string[] extraArgs)
    {
        var ownsStorage = storage is null;
        storage ??= NewStorageDirectory();
        token ??= NewToken();
        var logs = new CapturingLoggerProvider();
        string[] args =
        [
            "--urls", "http://127.0.0.1:0",
            $"--API_TOKEN={token}",
            $"--Upgrade:ScriptPath={ScriptPath(script)}",
            "--Upgrade:UseSudo=false",
            $"--Storage:Directory={storage}",
            // Everything at the most verbose level, so the token checks see every line there is.
            "--Logging:LogLevel:Default=Trace",
            "--Logging:LogLevel:Microsoft.AspNetCore.Hosting.Diagnostics=Trace",
            .. extraArgs,
        ];
        var app = Build(args, logs, services);
        await app.StartAsync();
        var addresses = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses;
        // Tests share the machine: they listen on loopback only.
        Assert.All(addresses, address => Assert.True(
            System.Net.IPAddress.TryParse(new Uri(address).Host.Trim('[', ']'), out var ip) && System.Net.IPAddress.IsLoopback(ip),
            $"a test daemon listens on {address}"));
        var address = addresses.First();
        return new DaemonFixture(app, new Uri(address), token, logs, storage, ownsStorage);
    }

    public async Task<JsonElement> StartJobAsync(bool dryRun = true)
    {
        using var response = await Client.PostAsync("/upgrade", Json($"{{\"dryRun\": {(dryRun ? "true" : "false")}}}"));
        response.EnsureSuccessStatusCode();
        return await response.Content.ReadFromJsonAsync<JsonElement>();
    }

    public async Task<JsonElement> GetJobAsync(string jobId) => await Client.GetFromJsonAsync<JsonElement>($"/jobs/{jobId}");

    public async Task<JsonElement> WaitForEndAsync(string jobId)
    {
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (true)
        {
            var job = await GetJobAsync(jobId);
            if (job.GetProperty("status").GetString() != "running")
            {
                return job;
            }

            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"job {jobId} still running");
            }

            await Task.Delay(25);
        }
    }

    public static StringContent Json(string body) => new(body, Encoding.UTF8, "application/json");

    public Uri WebSocketUri(string pathAndQuery) =>
        new($"ws://{BaseAddress.Authority}{pathAndQuery}");

    public async Task<ClientWebSocket> ConnectAsync(string pathAndQuery, bool sendToken = true)
    {
        var socket = new ClientWebSocket();
        if (sendToken)
        {
            socket.Options.SetRequestHeader("Authorization", $"Bearer {Token}");
        }

        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        await socket.ConnectAsync(WebSocketUri(pathAndQuery), timeout.Token);
        return socket;
    }

    /// <summary>Reads text frames until the server closes; each frame parsed as JSON, and shown to <paramref name="onFrame"/> as it arrives.</summary>
    public static async Task<LogRead> ReadAllAsync(ClientWebSocket socket, TimeSpan? timeout = null, Action<JsonElement>? onFrame = null)
    {
        using var cts = new CancellationTokenSource(timeout ?? TimeSpan.FromSeconds(60));
        var frames = new List<JsonElement>();
        var buffer = new byte[128 * 1024];
        var message = new MemoryStream();
        while (true)
        {
            var result = await socket.ReceiveAsync(buffer, cts.Token);
            if (result.MessageType == WebSocketMessageType.Close)
            {
                if (socket.State == WebSocketState.CloseReceived)
                {
                    await socket.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, null, cts.Token);
                }

                return new LogRead(frames, socket.CloseStatus, socket.CloseStatusDescription);
            }

            message.Write(buffer, 0, result.Count);
            if (result.EndOfMessage)
            {
                var frame = JsonDocument.Parse(message.ToArray()).RootElement.Clone();
                frames.Add(frame);
                onFrame?.Invoke(frame);
                message.SetLength(0);
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        Client.Dispose();
        Anonymous.Dispose();
        await App.StopAsync();
        await App.DisposeAsync();
        if (_ownsStorage)
        {
            await TestRuns.DeleteStorageAsync(StorageDirectory);
        }
    }
}

public sealed record LogRead(List<JsonElement> Frames, WebSocketCloseStatus? CloseStatus, string? CloseDescription)
{
    public List<JsonElement> Lines => Frames.Where(f => f.GetProperty("type").GetString() == "line").ToList();

    public JsonElement End => Frames.Single(f => f.GetProperty("type").GetString() == "end");
}
