-- Contracts (M2): with a contact (B2C) or with a company (B2B, covering its people).
-- A person's contract carries the subject id (contact_id), the distribution key.

CREATE TABLE contract (
    id         UUID PRIMARY KEY,
    contact_id UUID REFERENCES contact (id) ON DELETE CASCADE,
    company_id UUID REFERENCES company (id),
    reference  TEXT NOT NULL,
    status     TEXT NOT NULL CHECK (status IN ('active', 'ended', 'cancelled')),
    starts_on  DATE NOT NULL,
    ends_on    DATE,
    created_at TIMESTAMPTZ NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL,
    CHECK ((contact_id IS NULL) <> (company_id IS NULL))
);
CREATE INDEX contract_contact_idx ON contract (contact_id) WHERE contact_id IS NOT NULL;
CREATE INDEX contract_company_idx ON contract (company_id) WHERE company_id IS NOT NULL;
