using Microsoft.Extensions.Options;

namespace ActivityLog.EntityFrameworkCore.ChangeCapture;

/// <summary>Validates the DataAnnotations attributes of <see cref="ActivityChangeCaptureOptions"/> at start (source-generated).</summary>
[OptionsValidator]
internal sealed partial class ActivityChangeCaptureOptionsValidator : IValidateOptions<ActivityChangeCaptureOptions>;
