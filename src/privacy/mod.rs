//! A person's rights over their own personal data (個人資料保護法 Art. 3, 10, 11): to see and
//! copy it (`export`), to correct it (the profile, `PATCH /me`), and to have it deleted when
//! the purpose it was collected for has ended (`closing`). Every such request is logged
//! (`accounts::requests`).

pub mod anonymise;
pub mod closing;
pub mod export;
pub mod retention;
