//! A small reader for the pickles ProdLDA ships (to be written).
