"""Archive: every build and send remembered (SQLAlchemy; a SQLite file by default, PostgreSQL by url), so next
month compares with this one, a corrected workbook re-issues its review, and nothing is mailed twice."""
