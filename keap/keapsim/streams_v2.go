package keapsim

func v2Defs() []*streamDef {
	return []*streamDef{contactsDef()}
}

func v1Defs() []*streamDef {
	return []*streamDef{contactsV1Def()}
}
