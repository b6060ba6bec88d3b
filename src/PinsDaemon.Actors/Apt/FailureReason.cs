namespace PinsDaemon.Actors.Apt;

/// <summary>Why a job failed, as a stable code for programs and a message for people.</summary>
public sealed record FailureReason(string Code, string Message);
