namespace ActivityLog.Samples.WebApp;

/// <summary>The sample's own settings (section <c>Sample</c> of appsettings.json, or <c>--Sample:Key=value</c>).</summary>
internal sealed class SampleOptions
{
    public const string SectionName = "Sample";

    /// <summary>The SQLite file, relative to the program's folder; <c>ConnectionStrings:ActivityLog</c> overrides it.</summary>
    public string DatabasePath { get; set; } = "activity-log.db";

    /// <summary>How many events one page of the Activity Log shows before "Load more".</summary>
    public int ActivityLogPageSize { get; set; } = 50;

    /// <summary>Whether looking at the Activity Log is recorded in it ("John Doe viewed the activity log.").</summary>
    public bool RecordActivityLogViews { get; set; } = true;
}
