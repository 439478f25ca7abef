"""The monthly cycle: when a review builds itself (calendar), what a scheduled run does (build, draft to the
approver, or the review to management), and the approval between them. Above the pipeline it composes."""
