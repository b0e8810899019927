//! zkaudit service library.
