using System.ComponentModel.DataAnnotations;
using PinsDaemon.Actors.Schedule;

namespace PinsDaemon.Host.Configuration;

/// <summary>Scheduled checks (<c>Schedule:*</c>): dry runs on a timer, never an apply.</summary>
public sealed class ScheduleOptions : IValidatableObject
{
    public const string SectionName = "Schedule";

    /// <summary>A check this often; <c>00:00:00</c> (the default, so development starts none) turns them off. The package sets one day.</summary>
    [Range(typeof(TimeSpan), "00:00:00", "31.00:00:00", ErrorMessage = "Schedule:CheckEvery must be 00:00:00 (off) or between 00:01:00 and 31.00:00:00.")]
    public TimeSpan CheckEvery { get; set; } = TimeSpan.Zero;

    /// <summary>Each check comes up to this much later, at random (as <c>apt-daily.timer</c>'s <c>RandomizedDelaySec=</c>).</summary>
    [Range(typeof(TimeSpan), "00:00:00", "7.00:00:00", ErrorMessage = "Schedule:RandomDelay must be between 00:00:00 and 7.00:00:00.")]
    public TimeSpan RandomDelay { get; set; } = TimeSpan.FromHours(1);

    /// <summary>A check that could not start (a job ran, a reboot was scheduled) is asked for again this much later.</summary>
    [Range(typeof(TimeSpan), "00:00:01", "1.00:00:00", ErrorMessage = "Schedule:RetryAfter must be between 00:00:01 and 1.00:00:00.")]
    public TimeSpan RetryAfter { get; set; } = TimeSpan.FromMinutes(15);

    public bool Enabled => CheckEvery > TimeSpan.Zero;

    public CheckScheduleSettings ToSettings() => new(CheckEvery, RandomDelay, RetryAfter);

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        // A check runs apt-get update against the mirrors: more often than a minute is a mistake.
        if (Enabled && CheckEvery < TimeSpan.FromMinutes(1))
        {
            yield return new ValidationResult("Schedule:CheckEvery must be 00:00:00 (off) or between 00:01:00 and 31.00:00:00.", [nameof(CheckEvery)]);
        }
    }
}
