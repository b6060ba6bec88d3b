using System.Collections.Immutable;
using System.Text;
using Akka.Actor;
using Akka.Configuration;
using Akka.DistributedData.Durable;
using Akka.Event;
using Akka.Serialization;

namespace PinsDaemon.Fleet.Replication;

/// <summary>
/// The durable store of this node's DistributedData replica: one file per durable key, replaced
/// atomically (temporary file, fsync, rename), so a crash or a power cut leaves the old or the new
/// value, never half of one. Plugged in through
/// <c>akka.cluster.distributed-data.durable.store-actor-class</c>, because the LightningDB store of
/// 1.5.73 fails to load against the LightningDB the feed serves. It runs on the replicator's pinned
/// durable-store thread, so its blocking file I/O holds up no other actor.
/// </summary>
public sealed class FileDurableStore : ReceiveActor
{
    /// <summary>HOCON path, under the <c>durable</c> section, of the directory the files live in.</summary>
    public const string DirectorySetting = "pins-file.dir";

    private const string Suffix = ".ddata";

    private readonly ILoggingAdapter _log = Context.GetLogger();
    private readonly string _directory;
    private readonly TimeSpan _maxAge;
    private readonly Serializer _serializer;

    public FileDurableStore(Config config)
    {
        _directory = config.GetString(DirectorySetting, string.Empty);
        if (string.IsNullOrEmpty(_directory))
        {
            throw new ConfigurationException($"akka.cluster.distributed-data.durable.{DirectorySetting} is not set");
        }

        _maxAge = config.GetTimeSpan("pruning-marker-time-to-live", TimeSpan.FromDays(10));
        _serializer = Context.System.Serialization.FindSerializerForType(typeof(DurableDataEnvelope));
        Receive<LoadAll>(_ => HandleLoadAll());
    }

    private void Active()
    {
        Receive<Store>(HandleStore);
    }

    protected override void PostRestart(Exception reason)
    {
        base.PostRestart(reason);
        // Loading happens once, at the first start; a restarted store only stores.
        Become(Active);
    }

    private void HandleLoadAll()
    {
        try
        {
            Directory.CreateDirectory(_directory);
            var files = Directory.GetFiles(_directory, "*" + Suffix);
            var newest = files.Length == 0 ? (DateTime?)null : files.Max(File.GetLastWriteTimeUtc);
            if (newest is { } written && DateTime.UtcNow - written > _maxAge)
            {
                // Pruning markers of removed nodes live this long; a replica away for longer would
                // bring back data the rest of the fleet pruned (a Pi left in a drawer). Start empty:
                // the fleet's majority holds the records.
                var aside = Path.Combine(_directory, $"stale-{DateTime.UtcNow:yyyyMMddHHmmss}");
                Directory.CreateDirectory(aside);
                foreach (var file in files)
                {
                    File.Move(file, Path.Combine(aside, Path.GetFileName(file)));
                }

                _log.Warning("Fleet: this node's replicated data was last written {0:u}, longer ago than {1}; moved it to {2} and starting empty", written, _maxAge, aside);
                files = [];
            }

            var data = ImmutableDictionary.CreateBuilder<string, DurableDataEnvelope>();
            foreach (var file in files)
            {
                var key = KeyOf(Path.GetFileName(file));
                if (key is null)
                {
                    continue;
                }

                try
                {
                    data[key] = Read(File.ReadAllBytes(file));
                }
                catch (Exception ex) when (ex is not IOException and not UnauthorizedAccessException)
                {
                    // A damaged replica of one key (the file system after a power cut): the fleet's
                    // majority still holds it. Keep the file for a person, and start without it.
                    File.Move(file, file + ".damaged", overwrite: true);
                    _log.Warning("Fleet: the replicated key {0} in {1} is unreadable ({2}); set aside as {1}.damaged", key, file, ex.Message);
                }
            }

            if (data.Count > 0)
            {
                Sender.Tell(new LoadData(data.ToImmutable()));
            }

            Sender.Tell(LoadAllCompleted.Instance);
            _log.Debug("Fleet: loaded {0} durable keys from {1}", data.Count, _directory);
            Become(Active);
        }
        catch (Exception ex) when (ex is not LoadFailedException)
        {
            throw new LoadFailedException($"the fleet's durable data in {_directory} cannot be read", ex);
        }
    }

    private void HandleStore(Store store)
    {
        try
        {
            var path = Path.Combine(_directory, FileNameOf(store.Key));
            var temp = path + ".tmp";
            using (var file = new FileStream(temp, FileMode.Create, FileAccess.Write, FileShare.None))
            {
                Write(file, store.Data);
                file.Flush(flushToDisk: true);
            }

            File.Move(temp, path, overwrite: true);
            store.Reply?.ReplyTo.Tell(store.Reply.SuccessMessage);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            _log.Error(ex, "Fleet: could not store the replicated key {0} in {1}", store.Key, _directory);
            store.Reply?.ReplyTo.Tell(store.Reply.FailureMessage);
        }
    }

    /// <summary>
    /// A file is the serializer's manifest (2-byte length, UTF-8) and then its bytes: the replicator's
    /// serializer reads an envelope back only with the manifest it was written with.
    /// </summary>
    private void Write(Stream file, DurableDataEnvelope data)
    {
        var manifest = Encoding.UTF8.GetBytes(Akka.Serialization.Serialization.ManifestFor(_serializer, data));
        file.Write([(byte)(manifest.Length >> 8), (byte)manifest.Length]);
        file.Write(manifest);
        file.Write(_serializer.ToBinary(data));
    }

    private DurableDataEnvelope Read(byte[] bytes)
    {
        var length = (bytes[0] << 8) | bytes[1];
        var manifest = Encoding.UTF8.GetString(bytes, 2, length);
        var payload = bytes.AsSpan(2 + length).ToArray();
        return (DurableDataEnvelope)(_serializer is SerializerWithStringManifest withManifest
            ? withManifest.FromBinary(payload, manifest)
            : _serializer.FromBinary(payload, typeof(DurableDataEnvelope)));
    }

    /// <summary>Keys become hex file names: a key is never a path, whatever it holds.</summary>
    internal static string FileNameOf(string key) => Convert.ToHexStringLower(Encoding.UTF8.GetBytes(key)) + Suffix;

    internal static string? KeyOf(string fileName)
    {
        if (!fileName.EndsWith(Suffix, StringComparison.Ordinal))
        {
            return null;
        }

        try
        {
            return Encoding.UTF8.GetString(Convert.FromHexString(fileName.AsSpan(0, fileName.Length - Suffix.Length)));
        }
        catch (FormatException)
        {
            return null;
        }
    }
}
