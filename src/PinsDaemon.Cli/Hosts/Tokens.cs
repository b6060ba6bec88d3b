using System.Text;
using PinsDaemon.Cli.Output;
using Spectre.Console;

namespace PinsDaemon.Cli.Hosts;

/// <summary>
/// Where a token comes from: stdin, a file, or the environment; never the command line, where
/// every user on the machine can read it in <c>ps</c>. A token never appears in pins's output.
/// </summary>
internal static class Tokens
{
    /// <summary>4 KiB: the daemon's tokens are a few dozen characters; more than this is not a token.</summary>
    private const int MaxBytes = 4096;

    /// <summary>Visible ASCII only, as the daemon requires: nothing that could end a header line.</summary>
    public static bool IsValid(string? token) =>
        token is { Length: > 0 and <= MaxBytes } && token.All(c => c is >= '!' and <= '~');

    public static string FromEnvironment(string variable, string value) => Checked(value.Trim(), variable);

    /// <summary>Reads a token file; refuses one that other users can read, as the daemon does.</summary>
    public static string FromFile(string path, string what)
    {
        try
        {
            using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read);
            if (!OperatingSystem.IsWindows() && (File.GetUnixFileMode(stream.SafeFileHandle) & UnixFileMode.OtherRead) != 0)
            {
                throw CliException.Usage($"{what} {path} can be read by other users. Run: chmod 600 {path}");
            }

            return Checked(ReadBounded(stream), $"{what} {path}");
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw CliException.Usage($"{what} {path} cannot be read: {ex.Message}");
        }
    }

    /// <summary>From stdin: typed at a prompt that does not echo when stdin is a terminal, read whole when it is a pipe or file.</summary>
    public static string FromStdin(Terminal terminal)
    {
        if (terminal.InputIsTerminal)
        {
            // .NET turns the terminal's echo off when it first reads keys, and leaves it off. Done
            // here, before the prompt, so a token pasted the moment the prompt appears is not echoed.
            _ = Console.KeyAvailable;
            var typed = terminal.Error.Prompt(new TextPrompt<string>("Token (input hidden):").Secret(null));
            return Checked(typed.Trim(), "the token typed");
        }

        using var stdin = Console.OpenStandardInput();
        return Checked(ReadBounded(stdin), "the token on stdin");
    }

    private static string ReadBounded(Stream stream)
    {
        var buffer = new byte[MaxBytes + 1];
        var length = 0;
        int read;
        while (length < buffer.Length && (read = stream.Read(buffer, length, buffer.Length - length)) > 0)
        {
            length += read;
        }

        if (length > MaxBytes)
        {
            throw CliException.Usage($"A token is at most {MaxBytes} bytes; this input is longer.");
        }

        return Encoding.UTF8.GetString(buffer, 0, length).Trim();
    }

    private static string Checked(string token, string source)
    {
        if (token.Length == 0)
        {
            throw CliException.Usage($"{source} is empty. The token is in /etc/pinsdaemon/api-token on the host.");
        }

        if (!IsValid(token))
        {
            throw CliException.Usage($"{source} is not a token: a token is visible ASCII characters (no spaces), at most {MaxBytes} bytes.");
        }

        return token;
    }
}
