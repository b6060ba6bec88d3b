using System.Collections.Frozen;
using System.IO.Compression;
using System.Reflection;
using System.Security.Cryptography;
using System.Text;

namespace PinsDaemon.Host.Web;

/// <summary>
/// The page's files, embedded in the daemon and read once at start. Each asset is served under
/// a name that carries a hash of its content (<c>/assets/app.3f2c9a0b1d4e5f67.js</c>), so a
/// browser may keep it for a year and still gets the new one the moment the daemon is upgraded:
/// the page, which is never cached without asking, then names a different file. No build step
/// makes these names; they are computed here.
/// </summary>
public sealed class StaticAssets
{
    public const string AssetsPath = "/assets/";

    private const string ResourcePrefix = "web/";

    private static readonly FrozenDictionary<string, string> ContentTypes = new Dictionary<string, string>(StringComparer.Ordinal)
    {
        [".html"] = "text/html; charset=utf-8",
        [".js"] = "text/javascript; charset=utf-8",
        [".css"] = "text/css; charset=utf-8",
        [".svg"] = "image/svg+xml",
    }.ToFrozenDictionary();

    private readonly FrozenDictionary<string, StaticFile> _assets;

    public StaticAssets()
        : this(typeof(StaticAssets).Assembly)
    {
    }

    internal StaticAssets(Assembly assembly)
    {
        var files = assembly.GetManifestResourceNames()
            .Where(name => name.StartsWith(ResourcePrefix, StringComparison.Ordinal))
            .ToDictionary(name => name[ResourcePrefix.Length..], name => Read(assembly, name), StringComparer.Ordinal);
        if (!files.Remove("index.html", out var index))
        {
            throw new InvalidOperationException("The page (web/index.html) is not embedded in the daemon: the build is broken.");
        }

        var assets = new Dictionary<string, StaticFile>(StringComparer.Ordinal);
        var html = Encoding.UTF8.GetString(index);
        foreach (var (name, content) in files)
        {
            var hashed = HashedName(name, content);
            assets[hashed] = StaticFile.Create(content, ContentTypeOf(name));
            html = html.Replace($"\"{AssetsPath}{name}\"", $"\"{AssetsPath}{hashed}\"", StringComparison.Ordinal);
        }

        _assets = assets.ToFrozenDictionary(StringComparer.Ordinal);
        Page = StaticFile.Create(Encoding.UTF8.GetBytes(html), ContentTypes[".html"]);
    }

    /// <summary>The page, its asset links pointing at the hashed names.</summary>
    public StaticFile Page { get; }

    /// <summary>The hashed names the page links to, e.g. <c>app.3f2c9a0b1d4e5f67.js</c>.</summary>
    public IEnumerable<string> AssetNames => _assets.Keys;

    public bool TryGetAsset(string hashedName, out StaticFile file) => _assets.TryGetValue(hashedName, out file!);

    /// <summary><c>app.js</c> becomes <c>app.&lt;16 hex digits of its SHA-256&gt;.js</c>.</summary>
    internal static string HashedName(string name, byte[] content)
    {
        var hash = Convert.ToHexStringLower(SHA256.HashData(content).AsSpan(0, 8));
        var extension = Path.GetExtension(name);
        return $"{name[..^extension.Length]}.{hash}{extension}";
    }

    private static string ContentTypeOf(string name) =>
        ContentTypes.TryGetValue(Path.GetExtension(name), out var type)
            ? type
            : throw new InvalidOperationException($"web/{name}: no content type is known for this kind of file.");

    private static byte[] Read(Assembly assembly, string name)
    {
        using var stream = assembly.GetManifestResourceStream(name)!;
        using var copy = new MemoryStream();
        stream.CopyTo(copy);
        return copy.ToArray();
    }
}

/// <summary>One file as served: its bytes, a gzip copy for clients that take it, and an ETag.</summary>
public sealed record StaticFile(byte[] Content, byte[] Gzipped, string ContentType, string ETag)
{
    public static StaticFile Create(byte[] content, string contentType)
    {
        using var compressed = new MemoryStream();
        using (var gzip = new GZipStream(compressed, CompressionLevel.SmallestSize, leaveOpen: true))
        {
            gzip.Write(content);
        }

        var etag = $"\"{Convert.ToHexStringLower(SHA256.HashData(content).AsSpan(0, 8))}\"";
        return new StaticFile(content, compressed.ToArray(), contentType, etag);
    }
}
