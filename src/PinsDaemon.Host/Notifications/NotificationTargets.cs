using PinsDaemon.Actors.Notifications;
using PinsDaemon.Contracts;
using PinsDaemon.Host.Configuration;

namespace PinsDaemon.Host.Notifications;

/// <summary>Reads <c>Notifications:Targets</c> into targets, or says, naming each setting, what is wrong.</summary>
internal static class NotificationTargets
{
    /// <summary>Each event goes to every target that wants it; a handful is what a person needs, and the queue's bound assumes few.</summary>
    public const int MaxTargets = 16;

    /// <summary>A secret or token file holds one line; anything bigger is the wrong file.</summary>
    private const int MaxFileBytes = 1024;

    public static (List<NotificationTarget> Targets, List<string> Problems) Load(NotificationOptions options)
    {
        var targets = new List<NotificationTarget>();
        var problems = new List<string>();
        if (options.Targets.Count > MaxTargets)
        {
            problems.Add($"Notifications:Targets lists {options.Targets.Count} targets; at most {MaxTargets}.");
            return (targets, problems);
        }

        for (var i = 0; i < options.Targets.Count; i++)
        {
            var name = $"Notifications:Targets:{i}";
            var count = problems.Count;
            var target = options.Targets[i];
            if (target.Kind is not (NotificationTarget.Webhook or NotificationTarget.Ntfy))
            {
                problems.Add($"{name}:Kind must be '{NotificationTarget.Webhook}' or '{NotificationTarget.Ntfy}' (it is '{target.Kind}').");
            }

            if (!Uri.TryCreate(target.Url, UriKind.Absolute, out var url) || url.Scheme is not ("http" or "https") || target.Url!.Length > 2048)
            {
                problems.Add($"{name}:Url must be an absolute http:// or https:// URL of at most 2048 characters.");
                url = null;
            }
            else if (!string.IsNullOrEmpty(url.UserInfo))
            {
                problems.Add($"{name}:Url holds a user name or password; give ntfy a token in {name}:TokenFile instead, and a webhook its {name}:SecretFile.");
            }

            if (target.Events.Count == 0)
            {
                problems.Add($"{name}:Events is empty; list any of {string.Join(", ", NotificationEvents.All)}.");
            }

            foreach (var unknown in target.Events.Where(e => !NotificationEvents.All.Contains(e)))
            {
                problems.Add($"{name}:Events: '{unknown}' is not an event; the events are {string.Join(", ", NotificationEvents.All)}.");
            }

            byte[]? key = null;
            string? token = null;
            if (target.Kind == NotificationTarget.Webhook)
            {
                if (string.IsNullOrEmpty(target.SecretFile))
                {
                    problems.Add($"{name}:SecretFile is required for a webhook: a file holding its signing secret, whsec_ and base64 (e.g. echo whsec_$(head -c 32 /dev/urandom | base64)).");
                }
                else if (ReadFile(target.SecretFile, $"{name}:SecretFile", problems) is { } secret)
                {
                    key = WebhookSignature.ParseSecret(secret, out var problem);
                    if (problem is not null)
                    {
                        problems.Add($"{name}:SecretFile '{target.SecretFile}': the secret {problem}.");
                    }
                }

                if (!string.IsNullOrEmpty(target.TokenFile))
                {
                    problems.Add($"{name}:TokenFile is for ntfy targets; a webhook is signed with {name}:SecretFile.");
                }
            }
            else if (target.Kind == NotificationTarget.Ntfy)
            {
                if (!string.IsNullOrEmpty(target.SecretFile))
                {
                    problems.Add($"{name}:SecretFile is for webhook targets; ntfy takes an access token in {name}:TokenFile.");
                }

                if (!string.IsNullOrEmpty(target.TokenFile) && ReadFile(target.TokenFile, $"{name}:TokenFile", problems) is { } read)
                {
                    if (read.Length is 0 or > 512 || read.Any(c => c is < '!' or > '~'))
                    {
                        problems.Add($"{name}:TokenFile '{target.TokenFile}' must hold one token of visible ASCII, at most 512 characters.");
                    }
                    else if (url is { Scheme: "http", IsLoopback: false })
                    {
                        problems.Add($"{name}:TokenFile would cross the network in clear text: {name}:Url must be https:// (or on this machine).");
                    }
                    else
                    {
                        token = read;
                    }
                }
            }

            if (problems.Count > count || url is null)
            {
                continue;
            }

            var loaded = new NotificationTarget(target.Kind!, url, target.Events.ToHashSet(StringComparer.Ordinal), key, token);
            if (targets.FindIndex(t => t.Key == loaded.Key) is var same and >= 0)
            {
                problems.Add($"{name} repeats Notifications:Targets:{same} (the same Kind and Url); list each target once, with all its events.");
                continue;
            }

            targets.Add(loaded);
        }

        return (targets, problems);
    }

    /// <summary>The file's one line, or null with the problem added: it must exist, be small, and be readable by its owner (and group) only.</summary>
    private static string? ReadFile(string path, string setting, List<string> problems)
    {
        try
        {
            var info = new FileInfo(path);
            if (!info.Exists)
            {
                problems.Add($"{setting} '{path}' does not exist.");
                return null;
            }

            if (info.Length > MaxFileBytes)
            {
                problems.Add($"{setting} '{path}' is {info.Length} bytes; it should hold one line.");
                return null;
            }

            if (FileSecurity.IsReadableByOthers(path))
            {
                problems.Add($"{setting} '{path}' is readable by every user on this machine. Restrict it: chmod 600 '{path}' (or 400).");
                return null;
            }

            return File.ReadAllText(path).TrimEnd('\r', '\n');
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or ArgumentException or NotSupportedException)
        {
            problems.Add($"{setting} '{path}' cannot be read: {ex.Message}");
            return null;
        }
    }
}
