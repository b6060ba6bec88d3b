using System.Text.Json;
using PinsDaemon.Contracts;

namespace PinsDaemon.Host.Fleet;

/// <summary>
/// Reads the body of <c>POST /fleet/rollouts</c> strictly, as <c>POST /upgrade</c> is read: a typo
/// must not turn into an upgrade of every host. Unknown or repeated members, wrong types and
/// out-of-range numbers are refused with a message naming them.
/// </summary>
internal static class RolloutRequestParser
{
    public const string Expected =
        "Send {\"dryRun\": true|false, \"hosts\": \"all\" or [\"name\", ...], \"canary\": N, \"batchSize\": N, \"maxFailures\": N, \"reboot\": \"never\"|\"ifRequired\"}; " +
        "dryRun and hosts are required; canary defaults to 0, batchSize to 1, maxFailures to 0, reboot to \"never\"; optionally, as for POST /upgrade, " +
        Endpoints.UpgradeRequestParser.ModeMembers + ".";

    public static bool TryParse(ReadOnlySpan<byte> body, out RolloutRequest request, out string problem)
    {
        request = null!;
        bool? dryRun = null;
        List<string>? hosts = null;
        bool? all = null;
        int? canary = null, batchSize = null, maxFailures = null;
        RebootPolicy? reboot = null;
        string? mode = null;
        bool? autoremove = null;
        var seen = new HashSet<string>(StringComparer.Ordinal);
        try
        {
            var reader = new Utf8JsonReader(body, new JsonReaderOptions { MaxDepth = 4 });
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
            {
                problem = "The request body is not a JSON object.";
                return false;
            }

            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                var name = reader.GetString()!;
                if (!seen.Add(name))
                {
                    problem = $"The member '{Endpoints.Audit.LogSafe(name, 40)}' appears twice.";
                    return false;
                }

                reader.Read();
                switch (name)
                {
                    case "dryRun":
                        if (reader.TokenType is not (JsonTokenType.True or JsonTokenType.False))
                        {
                            problem = "'dryRun' must be true or false.";
                            return false;
                        }

                        dryRun = reader.GetBoolean();
                        break;
                    case "hosts":
                        if (!TryReadHosts(ref reader, out hosts, out all, out problem))
                        {
                            return false;
                        }

                        break;
                    case "canary":
                        if (!TryReadCount(ref reader, name, 0, RolloutRequest.MaxHosts, out var c, out problem))
                        {
                            return false;
                        }

                        canary = c;
                        break;
                    case "batchSize":
                        if (!TryReadCount(ref reader, name, 1, RolloutRequest.MaxHosts, out var b, out problem))
                        {
                            return false;
                        }

                        batchSize = b;
                        break;
                    case "maxFailures":
                        if (!TryReadCount(ref reader, name, 0, RolloutRequest.MaxHosts, out var m, out problem))
                        {
                            return false;
                        }

                        maxFailures = m;
                        break;
                    case "reboot":
                        if (reader.TokenType != JsonTokenType.String || reader.GetString() is not ("never" or "ifRequired"))
                        {
                            problem = "'reboot' must be \"never\" or \"ifRequired\".";
                            return false;
                        }

                        reboot = reader.GetString() == "never" ? RebootPolicy.Never : RebootPolicy.IfRequired;
                        break;
                    case "mode":
                        // Read as POST /upgrade reads it: the same values, the same messages.
                        if (!Endpoints.UpgradeRequestParser.TryReadMode(ref reader, out var read, out problem))
                        {
                            return false;
                        }

                        mode = read;
                        break;
                    case "autoremove":
                        if (!Endpoints.UpgradeRequestParser.TryReadBoolean(ref reader, name, out problem))
                        {
                            return false;
                        }

                        autoremove = reader.GetBoolean();
                        break;
                    default:
                        problem = $"Unknown member '{Endpoints.Audit.LogSafe(name, 40)}'.";
                        return false;
                }
            }

            if (reader.TokenType != JsonTokenType.EndObject || reader.Read())
            {
                problem = "The request body is not a single JSON object.";
                return false;
            }
        }
        catch (JsonException ex)
        {
            problem = $"The request body is not valid JSON ({ex.Message})";
            return false;
        }
        catch (InvalidOperationException)
        {
            // A member name that is not valid UTF-8.
            problem = "The request body is not valid JSON text.";
            return false;
        }

        if (dryRun is null)
        {
            problem = "The member 'dryRun' is missing.";
            return false;
        }

        if (all is null)
        {
            problem = "The member 'hosts' is missing.";
            return false;
        }

        request = new RolloutRequest(dryRun.Value, all.Value ? RolloutHosts.All : RolloutHosts.Named(hosts!), canary ?? 0, batchSize ?? 1, maxFailures ?? 0, reboot ?? RebootPolicy.Never)
        {
            Mode = mode ?? UpgradeModes.Upgrade,
            Autoremove = autoremove ?? false,
        };
        problem = string.Empty;
        return true;
    }

    private static bool TryReadHosts(ref Utf8JsonReader reader, out List<string>? hosts, out bool? all, out string problem)
    {
        hosts = null;
        all = null;
        if (reader.TokenType == JsonTokenType.String && reader.ValueTextEquals("all"u8))
        {
            all = true;
            problem = string.Empty;
            return true;
        }

        if (reader.TokenType != JsonTokenType.StartArray)
        {
            problem = "'hosts' must be \"all\" or an array of node names.";
            return false;
        }

        hosts = [];
        while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
        {
            if (reader.TokenType != JsonTokenType.String || reader.GetString() is not { } host || !FleetNames.IsValid(host))
            {
                problem = $"Each of 'hosts' is a node name: {FleetNames.Rule}.";
                return false;
            }

            if (hosts.Contains(host, StringComparer.Ordinal))
            {
                problem = $"'hosts' names {host} twice.";
                return false;
            }

            if (hosts.Count == RolloutRequest.MaxHosts)
            {
                problem = $"'hosts' may name at most {RolloutRequest.MaxHosts} hosts.";
                return false;
            }

            hosts.Add(host);
        }

        if (hosts.Count == 0)
        {
            problem = "'hosts' is empty: name at least one host, or say \"all\".";
            return false;
        }

        all = false;
        problem = string.Empty;
        return true;
    }

    private static bool TryReadCount(ref Utf8JsonReader reader, string name, int min, int max, out int value, out string problem)
    {
        if (reader.TokenType != JsonTokenType.Number || !reader.TryGetInt32(out value) || value < min || value > max)
        {
            value = 0;
            problem = $"'{name}' must be a whole number from {min} to {max}.";
            return false;
        }

        problem = string.Empty;
        return true;
    }
}
