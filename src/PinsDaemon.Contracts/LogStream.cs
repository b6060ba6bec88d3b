namespace PinsDaemon.Contracts;

/// <summary>Which of the process's output pipes a line came from.</summary>
public enum LogStream
{
    Stdout,
    Stderr,
}
