using System.Security.Cryptography;
using System.Text;
using System.Text.Json;

namespace PinsDaemon.Host.Auth;

/// <summary>
/// The page's sessions: a browser trades the token once (<c>POST /session</c>) for a random
/// session secret in an HttpOnly cookie. Sessions end after <see cref="IdleTimeout"/> unused,
/// after <see cref="MaxLifetime"/> in any case, on sign-out, and when the token changes.
/// </summary>
/// <remarks>
/// Only a keyed hash of each secret is kept, with the token's hash as the key: a copy of the
/// sessions file opens nothing, and a new token ends every session without a line of code
/// (no stored hash matches any more). The file lets sessions survive a daemon restart, so an
/// open page reconnects by itself instead of asking for the token again. The anti-forgery token
/// is derived from the secret, so there is nothing else to keep.
/// </remarks>
public sealed class SessionStore
{
    /// <summary>The file under Storage:Directory that keeps sessions across restarts (owner-only).</summary>
    public const string FileName = "sessions.json";

    /// <summary>Short-lived: a page left unused this long signs in again. An open page keeps it alive.</summary>
    public static readonly TimeSpan IdleTimeout = TimeSpan.FromMinutes(15);

    /// <summary>However much it is used, a session ends after this; a stolen cookie does not last.</summary>
    public static readonly TimeSpan MaxLifetime = TimeSpan.FromHours(12);

    /// <summary>
    /// Sessions at most: a person has a few browsers, not dozens. Past it the least recently
    /// used one ends (only a token holder can create sessions, so this is no lock-out lever).
    /// </summary>
    public const int MaxSessions = 64;

    /// <summary>The file is rewritten when a session's last use moved this much: often enough to survive a restart, rarely enough for an SD card.</summary>
    private static readonly TimeSpan PersistEvery = TimeSpan.FromMinutes(1);

    /// <summary>A sessions file larger than this is not ours (64 sessions take about 10 KiB).</summary>
    private const int MaxFileBytes = 64 * 1024;

    private static readonly byte[] CsrfLabel = "pinsdaemon csrf v1"u8.ToArray();

    private readonly Lock _lock = new();
    private readonly Dictionary<string, Entry> _sessions = new(StringComparer.Ordinal);
    private readonly byte[] _key;
    private readonly TimeProvider _clock;
    private readonly string? _file;
    private readonly ILogger _logger;

    /// <param name="key">Secret to this daemon's token: a session is valid only under the token that created it.</param>
    /// <param name="file">Where sessions are kept across restarts; null keeps them in memory only.</param>
    public SessionStore(byte[] key, TimeProvider clock, string? file, ILogger<SessionStore> logger)
    {
        _key = key;
        _clock = clock;
        _file = file;
        _logger = logger;
        Load();
    }

    /// <summary>A new session: the secret goes into the cookie, the anti-forgery token to the page.</summary>
    public NewSession Create()
    {
        var secret = Base64Url(RandomNumberGenerator.GetBytes(32));
        var now = _clock.GetUtcNow();
        lock (_lock)
        {
            RemoveExpired(now);
            if (_sessions.Count >= MaxSessions)
            {
                var oldest = _sessions.MinBy(pair => pair.Value.LastUsed).Key;
                _sessions.Remove(oldest);
            }

            _sessions[Id(secret)] = new Entry(now, now, now);
            Save();
        }

        return new NewSession(secret, CsrfToken(secret));
    }

    /// <summary>The live session for a cookie's secret, renewed; null when there is none.</summary>
    public Session? Use(string? secret)
    {
        if (!IsWellFormed(secret))
        {
            return null;
        }

        var id = Id(secret);
        var now = _clock.GetUtcNow();
        lock (_lock)
        {
            if (!_sessions.TryGetValue(id, out var entry))
            {
                return null;
            }

            if (IsExpired(entry, now))
            {
                _sessions.Remove(id);
                Save();
                return null;
            }

            var renewed = entry with { LastUsed = now };
            if (now - entry.Persisted >= PersistEvery)
            {
                renewed = renewed with { Persisted = now };
                _sessions[id] = renewed;
                Save();
            }
            else
            {
                _sessions[id] = renewed;
            }

            return new Session(id, CsrfToken(secret));
        }
    }

    /// <summary>True while the session (by <see cref="Session.Id"/>) is live; tickets it was issued end with it.</summary>
    public bool IsLive(string id)
    {
        lock (_lock)
        {
            return _sessions.TryGetValue(id, out var entry) && !IsExpired(entry, _clock.GetUtcNow());
        }
    }

    /// <summary>Ends the session; true when there was one.</summary>
    public bool Revoke(string? secret)
    {
        if (!IsWellFormed(secret))
        {
            return false;
        }

        lock (_lock)
        {
            if (!_sessions.Remove(Id(secret)))
            {
                return false;
            }

            Save();
            return true;
        }
    }

    /// <summary>Compares in constant time: the header must be this session's anti-forgery token.</summary>
    public static bool CsrfMatches(Session session, string? presented) =>
        presented is not null
        && CryptographicOperations.FixedTimeEquals(Encoding.ASCII.GetBytes(session.CsrfToken), Encoding.UTF8.GetBytes(presented));

    private static bool IsWellFormed([System.Diagnostics.CodeAnalysis.NotNullWhen(true)] string? secret) =>
        secret is { Length: 43 } && secret.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_');

    private static bool IsExpired(Entry entry, DateTimeOffset now) =>
        now - entry.LastUsed >= IdleTimeout || now - entry.CreatedAt >= MaxLifetime;

    private string Id(string secret) => Convert.ToHexStringLower(HMACSHA256.HashData(_key, Encoding.ASCII.GetBytes(secret)));

    private string CsrfToken(string secret)
    {
        // Keyed by the secret itself: only whoever holds the cookie's secret can compute it.
        return Base64Url(HMACSHA256.HashData(Encoding.ASCII.GetBytes(secret), CsrfLabel));
    }

    private static string Base64Url(byte[] bytes) =>
        Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');

    private void RemoveExpired(DateTimeOffset now)
    {
        foreach (var (id, entry) in _sessions)
        {
            if (IsExpired(entry, now))
            {
                _sessions.Remove(id);
            }
        }
    }

    private void Load()
    {
        if (_file is null || !File.Exists(_file))
        {
            return;
        }

        try
        {
            if (new FileInfo(_file).Length > MaxFileBytes)
            {
                throw new InvalidDataException($"larger than {MaxFileBytes} bytes");
            }

            var stored = JsonSerializer.Deserialize<StoredSessions>(File.ReadAllBytes(_file), FileJson)?.Sessions ?? [];
            var now = _clock.GetUtcNow();
            foreach (var session in stored.Take(MaxSessions))
            {
                var entry = new Entry(session.CreatedAt, session.LastUsed, session.LastUsed);
                if (session.Id is { Length: 64 } id && !IsExpired(entry, now))
                {
                    _sessions[id] = entry;
                }
            }
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or JsonException or InvalidDataException)
        {
            // Losing sessions costs a sign-in, nothing more.
            _logger.LogWarning("Sessions file {File} could not be read ({Error}); browsers sign in again", _file, ex.Message);
        }
    }

    /// <summary>Replaces the file atomically, owner-only. Called under the lock.</summary>
    private void Save()
    {
        if (_file is null)
        {
            return;
        }

        var stored = new StoredSessions([.. _sessions.Select(pair => new StoredSession(pair.Key, pair.Value.CreatedAt, pair.Value.LastUsed))]);
        var temporary = _file + ".tmp";
        try
        {
            using (var stream = new FileStream(temporary, new FileStreamOptions
                   {
                       Mode = FileMode.Create,
                       Access = FileAccess.Write,
                       UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite,
                   }))
            {
                JsonSerializer.Serialize(stream, stored, FileJson);
            }

            File.Move(temporary, _file, overwrite: true);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            // Sessions still work from memory; a restart would then ask for the token again.
            _logger.LogWarning("Sessions file {File} could not be written ({Error}); sessions will not survive a restart", _file, ex.Message);
        }
    }

    private static readonly JsonSerializerOptions FileJson = new(JsonSerializerDefaults.Web);

    /// <param name="Persisted">When the file last saw this session's last use.</param>
    private sealed record Entry(DateTimeOffset CreatedAt, DateTimeOffset LastUsed, DateTimeOffset Persisted);

    private sealed record StoredSessions(IReadOnlyList<StoredSession>? Sessions);

    private sealed record StoredSession(string? Id, DateTimeOffset CreatedAt, DateTimeOffset LastUsed);
}

/// <summary>A session just created: <paramref name="Secret"/> for the cookie only.</summary>
public sealed record NewSession(string Secret, string CsrfToken);

/// <summary>A live session: <paramref name="Id"/> is the keyed hash the store knows it by.</summary>
public sealed record Session(string Id, string CsrfToken);
