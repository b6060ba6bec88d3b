using System.CommandLine;
using System.Text.Json;
using PinsDaemon.Cli.Api;
using PinsDaemon.Cli.Hosts;
using PinsDaemon.Cli.Output;
using PinsDaemon.Contracts;
using Spectre.Console;

namespace PinsDaemon.Cli.Commands;

/// <summary><c>pins hosts add|list|remove</c>: the hosts file.</summary>
internal static class HostsCommands
{
    public static Command Build()
    {
        var hosts = new Command("hosts", "The daemons pins knows, kept with their tokens in the per-user hosts file (mode 0600)");
        hosts.Subcommands.Add(Add());
        hosts.Subcommands.Add(List());
        hosts.Subcommands.Add(Remove());
        return hosts;
    }

    private static Command Add()
    {
        var name = new Argument<string>("NAME") { Description = "What to call the host in --host NAME" };
        var url = new Argument<string>("URL") { Description = "The daemon's URL, e.g. https://pi.local:5443" };
        var tokenFile = new Option<FileInfo?>("--token-file")
        {
            Description = "Read the token from this file instead of stdin (never give it as an argument: other users see arguments in ps)",
            HelpName = "FILE",
        };
        var fingerprint = new Option<string?>("--fingerprint")
        {
            Description = "The SHA-256 fingerprint the host's certificate must have, instead of trusting what it presents the first time",
            HelpName = "SHA256",
        };
        var command = new Command("add", "Add a host. The token is read from stdin (or --token-file); over HTTPS the certificate's fingerprint is pinned on first use, as ssh does")
        {
            name, url, tokenFile, fingerprint,
        };
        Invocation.Bind(command, (run, ct) => AddAsync(run, run.Value(name), run.Value(url), run.Value(tokenFile), run.Value(fingerprint), ct));
        return command;
    }

    private static async Task<int> AddAsync(Invocation run, string name, string urlText, FileInfo? tokenFile, string? fingerprintText, CancellationToken ct)
    {
        if (!HostNames.IsValid(name))
        {
            throw CliException.Usage($"'{ControlCharacters.Neutralize(name)}' cannot be a host name: {HostNames.Rule}.");
        }

        if (!HostUrls.TryParse(urlText, out var url, out var problem))
        {
            throw CliException.Usage($"'{ControlCharacters.Neutralize(urlText)}' is not a daemon's URL: {problem}.");
        }

        string? expected = null;
        if (fingerprintText is not null && !Fingerprint.TryParse(fingerprintText, out expected))
        {
            throw CliException.Usage("--fingerprint takes a SHA-256 fingerprint: 64 hex digits, colons allowed (as openssl x509 -noout -fingerprint -sha256 prints it).");
        }

        var https = url.Scheme == Uri.UriSchemeHttps;
        if (!https && expected is not null)
        {
            throw CliException.Usage("--fingerprint is for https:// URLs: a plain http:// daemon has no certificate.");
        }

        var path = HostsFile.DefaultPath();
        var existing = HostsFile.Load(path);
        if (existing.FirstOrDefault(h => h.Name == name) is { } taken)
        {
            throw CliException.Usage($"A host named '{name}' is already added ({taken.Url}). Remove it first: pins hosts remove {name}");
        }

        var token = tokenFile is not null ? Tokens.FromFile(tokenFile.FullName, "The token file") : Tokens.FromStdin(run.Terminal);
        if (!https && HostUrls.IsNetworkFacing(url))
        {
            run.Status.Warn($"{url} is plain HTTP to another machine: the token crosses the network in clear text. Serve the daemon over HTTPS.");
        }

        // Check the token (and meet the certificate) before anything is saved.
        var check = CertificateCheck.FirstUse(expected);
        using (var client = new DaemonClient(new HostTarget(name, name, url, token, check)))
        {
            await client.ListJobsAsync(ct);
        }

        var pinned = https ? check.Presented : null;
        if (pinned is not null && expected is null)
        {
            if (run.Terminal.CanAsk)
            {
                run.Status.Info($"{url} presented a certificate with SHA-256 fingerprint {pinned}.");
                if (!run.Terminal.Error.Confirm("Is this the host's certificate? Pin it?", defaultValue: false))
                {
                    run.Status.Info("Nothing was added.");
                    return ExitCodes.Stopped;
                }
            }
        }

        HostsFile.Save(path, [.. existing, new HostEntry(name, url, token, pinned)]);
        run.Status.Info($"Added {name} ({url}) to {path}.");
        if (pinned is not null)
        {
            run.Status.Info($"Pinned its certificate: SHA-256 {pinned}. Compare it on the host: sudo openssl x509 -noout -fingerprint -sha256 -in /etc/pinsdaemon/tls.crt");
        }

        if (run.Json)
        {
            Console.Out.WriteLine(JsonSerializer.Serialize(View(new HostEntry(name, url, token, pinned)), HostJson));
        }

        return ExitCodes.Succeeded;
    }

    private static Command List()
    {
        var command = new Command("list", "List the hosts added (never their tokens)");
        Invocation.Bind(command, (run, _) => Task.FromResult(ListHosts(run)));
        return command;
    }

    private static int ListHosts(Invocation run)
    {
        var hosts = HostsFile.Load(HostsFile.DefaultPath());
        if (run.Json)
        {
            Console.Out.WriteLine(JsonSerializer.Serialize(hosts.Select(View), HostJson));
        }
        else if (run.Terminal.OutputIsTerminal)
        {
            if (hosts.Count == 0)
            {
                run.Terminal.Output.MarkupLine("[dim]No hosts added. Add one with: pins hosts add NAME URL[/]");
                return ExitCodes.Succeeded;
            }

            var table = new Table().Border(TableBorder.Rounded).AddColumn("Name").AddColumn("URL").AddColumn("Certificate (SHA-256)");
            foreach (var host in hosts)
            {
                table.AddRow(new Text(host.Name), new Text(host.Url.ToString()), new Text(host.CertificateSha256 ?? "-"));
            }

            run.Terminal.Output.Write(table);
        }
        else
        {
            foreach (var host in hosts)
            {
                Console.Out.WriteLine($"{host.Name}\t{host.Url}\t{host.CertificateSha256 ?? "-"}");
            }
        }

        return ExitCodes.Succeeded;
    }

    private static Command Remove()
    {
        var name = new Argument<string>("NAME") { Description = "The host to forget, with its token and pinned certificate" };
        var command = new Command("remove", "Remove a host") { name };
        Invocation.Bind(command, (run, _) =>
        {
            var path = HostsFile.DefaultPath();
            var hosts = HostsFile.Load(path);
            var host = run.Value(name);
            if (hosts.All(h => h.Name != host))
            {
                throw CliException.Usage($"No host named '{ControlCharacters.Neutralize(host)}' in {path}.");
            }

            HostsFile.Save(path, hosts.Where(h => h.Name != host).ToList());
            run.Status.Info($"Removed {host}.");
            return Task.FromResult(ExitCodes.Succeeded);
        });
        return command;
    }

    private static readonly JsonSerializerOptions HostJson = new(JsonSerializerDefaults.Web) { WriteIndented = true };

    private static HostView View(HostEntry host) => new(host.Name, host.Url.ToString(), host.CertificateSha256);

    /// <summary>A host as <c>--json</c> shows it: everything but the token.</summary>
    private sealed record HostView(string Name, string Url, string? CertificateSha256);
}
